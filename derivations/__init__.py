"""The mathematics: one module per derivation (core), audits of the source documents, experiments."""
