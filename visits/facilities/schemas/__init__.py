"""What the facilities API reads and writes, one module per audience or subject.

A package because the public answers (``public``), the staff bodies (``staff``) and the rule
parameters (``rule_parameters``) are separate vocabularies, and together would be one long
module.
"""
