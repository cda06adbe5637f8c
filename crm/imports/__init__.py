"""Guest-list imports (issue 13): read a CSV or xlsx file as PMS and spreadsheets export it (parse), know its
columns (columns), find the guests its rows name (matching); the writes are crm.services.imports."""

# The preview lists at most this many errors (every row keeps its own); a file of 100,000 bad rows would
# otherwise answer megabytes.
MAX_LISTED_ERRORS = 1000
