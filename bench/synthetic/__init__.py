"""The synthetic corpus for benchmarks: `synth.py` draws records, `render.py` writes them as
pages (the parser's inverse), `words.py` holds the vocabulary. Tooling: no runtime package
imports it."""
