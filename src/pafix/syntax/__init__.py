"""Stage 1, syntax: Robin text in, a lossless typed tree out.

Grammar loading (:mod:`.grammar`), the parser's public API (:mod:`.parser`), its tree builder
(:mod:`.builder`), fast driver (:mod:`.fastparse`), error messages (:mod:`.messages`) and error
recovery (:mod:`.recovery`), the opaque parts of clipboard copies (:mod:`.trailers`), the nodes (:mod:`.nodes`), canonical printing (:mod:`.unparse`),
incremental re-parsing for the editor (:mod:`.incremental`), byte-faithful text decoding
(:mod:`.textio`), tree printing (:mod:`.treeprint`) and suppression comments (:mod:`.suppress`).
Nothing here knows about secrets.
"""
