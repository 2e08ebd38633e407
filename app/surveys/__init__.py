"""Satisfaction surveys (好差评)."""
