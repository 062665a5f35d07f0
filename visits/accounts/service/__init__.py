"""The accounts services, one module per subject: households (self-service: profile, visitors,
approval requests, export, erasure), sign_in (codes, staff passwords, the after-commit code
message) and staff (staff accounts and roles). They check, change and flush; the request
boundary commits."""
