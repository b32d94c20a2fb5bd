"""Action calls: what an action does to a :class:`~pafix.analysis.taint.state.State`, read
through the catalogue (its sinks, secret parameters, updated inputs and outputs, worked out once
per call in an :class:`~pafix.analysis.taint.plans.ActionPlan`), and RunFlow calls of a child
flow of the same solution.
"""

from __future__ import annotations

from pafix.syntax import nodes as n
from pafix.analysis.kinds import marked_origin
from pafix.findings import Confidence
from pafix.analysis.model import ChildFlow, Subflow, normalize_flow_id
from pafix.analysis.taint.plans import ActionPlan, step as _step
from pafix.analysis.taint.state import Event, Label, Origin, State, Taint, _join_taint
from pafix.analysis.taint.values import ERROR_VAR, Values


class Actions(Values):
    """The transfer function of an action call."""

    def _plan(self, action: n.Action) -> ActionPlan:
        """The catalogue's answers for a call: by node id on every visit after the first, and
        by the call's text across calls (:class:`~pafix.analysis.taint.plans.PlanMemo`). The
        flows checked are parsed from ``flow.source`` (every caller of ``core.check_flow``
        parses), so a span's text is the call's text; a call with no text (a node made by code
        with an empty span) gets a plan of its own."""
        plan = self._plans.get(id(action))
        if plan is None:
            span = action.span
            text = self.model.flow.source[span.start:span.end]
            plan = self.plan_memo.get(text) if text else None
            if plan is None:
                plan = ActionPlan(action, self.catalogue, self.names, self._child_flow)
                if text:
                    self.plan_memo.plans[text] = plan
            self._plans[id(action)] = plan
        return plan

    def secret_params(self, action: n.Action) -> list[n.Arg]:
        """The input arguments of ``action`` that carry a secret, by the catalogue and the
        call's literal arguments (worked out once per action, for the analysis and the rules)."""
        args = action.args
        return [args[i] for i, _root in self._plan(action).secret_param_roots]

    def exec_action(self, sf: Subflow, action: n.Action, state: State) -> State:
        if action.disabled:
            return state
        plan = self._plan(action)
        args = action.args  # the plan holds argument indices (it is shared by calls of the same text)
        child = plan.child
        inputs: dict[str, Taint] = {}
        all_in: Taint = {}
        echoed: Taint = {}  # what the action's error messages may quote
        carried = False  # a credential in a parameter that is not a secret one (DecryptText's text)
        for i, kind, secret_param, secret_root, untainted, intended, echoes, unseen in plan.inputs:
            arg = args[i]
            taint: Taint = {} if untainted else self.eval(sf, arg.value, state)
            inputs[arg.name] = taint
            all_in = _join_taint(all_in, taint)
            if echoes:
                echoed = _join_taint(echoed, taint)
            if taint and not secret_param and not carried:
                carried = any(lab.origin.value_kind == "credential" for lab in taint.values())
            if child is not None and arg.dynamic:
                # a child flow of the same solution: the secret is safe in a sensitive input,
                # and the analysis follows it into the child either way; an input the child
                # uses only as a file path receives a path (one branch's value), not a secret
                kind = None
                if taint and arg.name not in child.path_inputs:
                    labels = tuple(lab.then(_step(arg.span, f"passed to input {arg.name} of child flow {child.name}"))
                                   for lab in taint.values())
                    key2 = (child.workflow_id, arg.name)
                    old = self.child_taints.get(key2, ())
                    if not old:
                        self.child_taints[key2] = labels
                    if arg.name not in child.sensitive_inputs:
                        self._event(Event("child-input", sf.name, arg.span, None, tuple(taint.values()),
                                          action.name, arg.name, child.name, action.span))
            if kind is not None and taint:
                if intended:  # the parameter is what the action is for: only a credential leaks there
                    taint = {k: lab for k, lab in taint.items() if lab.origin.value_kind == "credential"}
                if taint and unseen:  # where it goes next, pafix cannot see: a guess
                    taint = {k: Label(lab.origin, lab.steps, lab.via_error, True) for k, lab in taint.items()}
                if taint:
                    self.sink(sf, arg.value, state, arg.span, action.name, arg.name, kind, action.span, taint)
            if secret_param:
                root = secret_root
                if root is not None:
                    key = sf.key(root.name, force_global=root.is_global)
                    if key not in self.model.sensitive and not self.is_credential_var(key) \
                            and key not in self.plain_connections:
                        self._event(Event("secret-param", sf.name, arg.span, key, tuple(taint.values()),
                                          action.name, arg.name, None, action.span))
        if echoed:
            # An error message is not a secret because the action received one: only the
            # parameters the catalogue says the action's errors quote (``error_echoes``) reach
            # it. Only the origins the error variable lacks get a trace step (the others would
            # be dropped by the join).
            error = state.get(ERROR_VAR, {})
            if not echoed.keys() <= error.keys():
                step = _step(action.span, f"handled by {action.name}; its error message may quote it")
                state[ERROR_VAR] = _join_taint(error, {
                    k: lab.then(step, via_error=True) for k, lab in echoed.items() if k not in error
                })
        for i, updated, has_root in plan.updates:
            arg = args[i]
            gained: Taint = all_in if updated == "*" else {}
            if updated != "*":
                for src in updated:
                    gained = _join_taint(gained, inputs.get(src, {}))
            if gained and has_root:
                state = self.assign(sf, arg.value, gained, state, arg.span, f"updated by {action.name}", weak=True)
        is_credential = plan.is_credential
        for i, sources, root, secret_output in plan.outputs:
            arg = args[i]
            taint = {}
            if sources == "*":
                taint = all_in
            else:
                for src in sources:
                    taint = _join_taint(taint, inputs.get(src, {}))
            if taint and not plan.spec.known:  # a guess: the catalogue does not know the action
                taint = {k: Label(lab.origin, lab.steps, lab.via_error, True) for k, lab in taint.items()}
            if secret_output is not None:
                # (a child's output is not about the variable it is stored in: storing it is the finding)
                target_key = sf.key(root.name, force_global=root.is_global) if root is not None and child is None else None
                value_kind = secret_output
                if value_kind == "data" and carried and child is None:
                    # DecryptText of an encrypted credential (not of its key); a child flow's
                    # output is what the child says it is, whatever else the call passes in
                    value_kind = "credential"
                sure: Confidence = "high"
                if child is not None:
                    what = f"{arg.name} of child flow {child.name} (sensitive there)"
                    # the child's mark, as sure as a mark in this flow (a status text: low)
                    value_kind, sure = marked_origin(arg.name, self.names, None)
                else:
                    what = f"{arg.name} of {action.name} (a secret source)"
                origin = Origin(
                    f"output:{action.span.start}:{arg.name}", "secret-output", what, arg.span, sf.name, target_key,
                    value_kind, sure,
                )
                taint = _join_taint({origin.key: Label(origin)}, taint)
                if child is not None:
                    # a child's sensitive output: the store into a plain variable is the finding
                    if root is not None:
                        state = self.assign(sf, arg.value, taint, state, arg.span, f"output {arg.name} of {action.name}")
                    continue
                if root is not None:
                    key = sf.key(root.name, force_global=root.is_global)
                    if is_credential:
                        self.credential_vars.add(key)
                    if key not in self.model.sensitive and not is_credential:
                        self._event(Event("source-store", sf.name, arg.span, key, (Label(origin),),
                                          action.name, arg.name, None, action.span))
            if root is not None:
                state = self.assign(sf, arg.value, taint, state, arg.span, f"output {arg.name} of {action.name}")
        return state

    def _child_flow(self, action: n.Action, lits: dict[str, str]) -> ChildFlow | None:
        sol = self.model.solution
        if sol is None or action.name != "External.RunFlow" or "FlowId" not in lits:
            return None
        return sol.children.get(normalize_flow_id(lits["FlowId"]))

