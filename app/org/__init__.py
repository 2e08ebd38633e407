"""The district's organisation: district → township/street → community/village → notice board."""
