"""Plain functions that the views and the CLI share; each takes the SQLAlchemy session it works in."""
