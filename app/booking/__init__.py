"""Appointment booking (预约办事) at the district centre, township stations and village workrooms."""
