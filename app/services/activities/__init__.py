"""Notes and logged activities of a lead (calls, e-mails, meetings, LinkedIn) with outcomes."""
