"""visits: visit scheduling for child-friendly prison visits."""

__version__ = "0.1.0"
