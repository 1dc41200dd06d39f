"""Paper reproductions: numbers a paper prints, recomputed from its stated setup through the evaluator."""
