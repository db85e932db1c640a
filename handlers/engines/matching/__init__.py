"""Matching SMEs to open challenges: typo-tolerant, synonym-aware, explainable, and fast.

text        words, stems and stop words, shared by the index and subscription tags
synonyms    synonym groups as stem tuples, and the shipped synonyms file
index       Matcher, the immutable index a query is ranked against (how is told there)
catalogue   CatalogueIndex, a Matcher kept fresh for a running bot
free_text   whether a message describes a business; free-text interests -> tags
subscribers which subscription tags fit a challenge, and who should hear of it
"""
