"""Workbook input and output: safe reading, validation, the base template and results workbooks."""
