"""Database migrations (tortoise): generated with `make migrations`, applied by `fawu migrate`."""
