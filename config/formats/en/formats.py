# Dates as the trainers' pages write them ("3 Nov 2026, 14:05"), for the admin and any {{ value|date }}.
# Only display formats: input formats stay Django's (the admin's date fields still take 2026-11-03).
DATE_FORMAT = "j M Y"
DATETIME_FORMAT = "j M Y, H:i"
SHORT_DATE_FORMAT = "j M Y"
SHORT_DATETIME_FORMAT = "j M Y, H:i"
MONTH_DAY_FORMAT = "j F"
