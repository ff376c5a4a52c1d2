"""jiuzhu.rules: the rules engine. Plain Python: it imports no Django and no other jiuzhu package.

Parameters are data (YAML packs per region, dated, cited); rules are declared once
(``programmes/``) in a small expression language (``expr``) and executed twice: per case
on ``Decimal`` with a Chinese trace (``evaluate``) and set-based through Ibis on DuckDB or
Spark (``compile_ibis``).
"""
