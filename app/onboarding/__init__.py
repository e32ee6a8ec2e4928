"""数据导入 (onboarding): persons already in the pipeline elsewhere, brought in at the step they reached.

columns.py (the template's columns, generated from the forms and the diagram's step catalogue), workbook.py
(the .xlsx template and the guarded reader), checker.py (the dry run: every bad cell, the step forms and the
diagram run in memory), services.py (the import through the runner), views.py (the page under 系统管理).
"""
