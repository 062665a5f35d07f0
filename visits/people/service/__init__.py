"""The people services, one module per subject: prisoners (register, list), approvals (visitor
approvals, CF-04) and audit_trail (an object's history for staff); ``roles`` names who may do
what. They check, change and flush; the request boundary commits."""
