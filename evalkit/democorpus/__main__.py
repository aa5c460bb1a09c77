"""python -m evalkit.democorpus --out FILE: write the base corpus."""

from . import main

raise SystemExit(main())
