"""The county's reports: figures for a period computed in the database.

period.py   the period asked for (UK dates) and its UTC bounds
sql.py      SQL pieces both databases compute alike (UK day, hour, week; percentiles; spans)
table.py    what a report is made of: sections of tables (each a chart, an accessible table and a CSV)
sections.py the sections, in the page's order, and the one place a report is built from
"""
