"""Exports an analyst opens: indicators, lists and the research extract as CSV (for programs),
CSV for Excel in Finnish or Swedish, and XLSX, labelled in fi, sv or en."""
