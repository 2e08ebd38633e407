"""mp_api domain."""
