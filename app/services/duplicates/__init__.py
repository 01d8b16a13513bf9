"""The same person twice: finding duplicates at manual entry, merging, dismissing."""
