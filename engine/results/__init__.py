"""What a run produced: its tables, typed metrics and tear sheet, the output folders and their
one writer, and the HTML pages (one page builder). The result builder lives in
:mod:`huice.engine.run.result_builder`. Imports the broker's types only."""
