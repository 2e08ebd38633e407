"""fawu (法务): the backend of a district's public legal service on WeChat."""

__version__ = "0.1.0"
