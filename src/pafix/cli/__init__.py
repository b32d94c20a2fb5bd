"""Front end: one module per command (:mod:`.main` holds the group, ``parse``, ``scan`` and
``rule``), plus the job pool (:mod:`.jobs`), the result cache (:mod:`.cache`) and path discovery
(:mod:`.sources`). Front ends only read input, render output and write files."""
