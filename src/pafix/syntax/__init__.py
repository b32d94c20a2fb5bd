"""Stage 1, syntax: Robin text in, a lossless typed tree out.

Grammar loading (:mod:`.grammar`), the Lark parser and its fast driver (:mod:`.parser`,
:mod:`.fastparse`), the nodes (:mod:`.nodes`), canonical printing (:mod:`.unparse`),
incremental re-parsing for the editor (:mod:`.incremental`), byte-faithful text decoding
(:mod:`.textio`), tree printing (:mod:`.treeprint`) and suppression comments (:mod:`.suppress`).
Nothing here knows about secrets.
"""
