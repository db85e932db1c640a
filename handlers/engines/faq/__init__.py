"""FAQ answerer: free text in, the best knowledge-base entry and a confidence out, or no answer.

text        normalisation: accents, compounds, synonyms, stop words, light stemming
screening   small talk, other council services and requests to do work, told apart first
answerer    Answerer, the scored index over the knowledge base (how is told there), and loading
formatting  the answer text an SME sees, and the `dips ask --json` shape
"""
