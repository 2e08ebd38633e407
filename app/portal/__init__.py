"""The public home page of the district's legal service (and the demo's start page)."""
