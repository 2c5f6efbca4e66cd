"""Reading evidence back: the list and its filters, the item page, streams and downloads."""
