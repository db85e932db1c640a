"""The platform-neutral core of DIPS Assistant.

kernel/   routing with a permission on every action, flows and buttons declared once, wording
domain/   business rules with no chat wording: stages, EOIs, cases, broadcasts, impact
engines/  the FAQ answerer and the challenge matcher
sme/, officer/, admin/   the features, grouped by who they serve
app.py    assembling a core for a process
"""
