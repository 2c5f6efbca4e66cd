"""Evidence vault: age format, blob stores, streaming intake, media metadata and derivatives."""
