"""Account services: credentials and their checks, account lifecycle, second-factor enrolment."""
