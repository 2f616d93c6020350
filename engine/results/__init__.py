"""What a run produced: tables, typed metrics, the result builder, output folders and the
report. Imports the broker's types only."""
