"""The staging contract: what the ingest stages write under a run's staging folder and the
warehouse load reads, owned by neither side.

- `settings`: the run settings and their defaults, declared once;
- `fate`: what became of each page (`PageFate`), as Python and the load's SQL both spell it;
- `layout`: where each staged file lives, its frame schemas and the staging format version;
- `plan`: one batch's work order, written by extract and read by a parse worker;
- `raw_files`: the layout of the staged page files, which become the raw store's files;
- `manifest`: the typed hand-offs between the stages (and the Dagster assets).
"""
