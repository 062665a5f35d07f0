"""Prisoners and the approval of their visitors (CF-04), managed by staff."""
