"""The core: models of schools, users and schedules, working time, clock, phone
numbers, Russian phrasing, the telephony port. Imports nothing above it."""
