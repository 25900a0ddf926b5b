"""The rules what-if replay: a candidate policy decides again every rules decision
of a period, on the facts that decision was given, and nothing in the database changes.

candidate.py  where a candidate comes from: a directory, uploaded files over the current
              policy, or a git revision of rules/policy; a bad one is a CandidateError
              naming the file and line
read_only.py  the one connection a replay reads through: a transaction the database
              itself keeps read-only, always rolled back
run.py        the replay: stream the decisions, decide again, count the moves, keep the changes
output.py     the changed list's columns, as CSV and as text (the CLI and the page share them)
"""
