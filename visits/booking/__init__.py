"""Booking: holds, confirmation, cancellation, rescheduling, requests, allowances."""
