"""Labels of closed vocabularies (consent purposes, custody actions) as data in three languages."""
