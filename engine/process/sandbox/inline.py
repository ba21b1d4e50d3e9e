"""Designer code simple enough to run without the sandbox: comparisons, arithmetic and plain
assignments over task data.

Most gateway conditions (``approved == True``, ``amount > 5000 and kind in ('a', 'b')``) and
many scripts (``rounds = rounds + 1``) read a few plain values and compute one. Sending each
to the sandbox child costs a pipe round trip with JSON both ways, in two processes: about a
tenth of an API completion's CPU. Such code is recognised here from its syntax tree and
computed by walking that tree (never by Python's ``eval``) over a fixed set of node types and
operators on JSON scalars (None, bool, int, float, str), with every number kept within 64 bits
and finite: nothing it runs can take more time or memory than the code's own length allows.

Anything else answers None and the code goes to the sandbox as before: another kind of node,
a name that is not task data (a helper, a builtin), a value of another type (a date, a list),
any error (a division by zero, comparing text with a number). The sandbox then gives the
result, or the error worded for the designer; the answer here is always the one it would give.
"""

from __future__ import annotations

import ast
import math
import operator
import re
from collections import ChainMap
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any, cast

#: Longer code is not worth recognising (and keeps the walk bounded).
MAX_CODE_LENGTH = 1000
#: Integers beyond this go to the sandbox (where its limits apply).
INT_LIMIT = 2**63
_SCALAR_TYPES = (type(None), bool, int, float, str)
#: Names the sandbox accepts as plain variables (it refuses leading and trailing underscores).
_PLAIN_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*(?<!_)")

_ARITHMETIC: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
    ast.Div: operator.truediv, ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod,
}  # fmt: skip
_COMPARISON: dict[type[ast.cmpop], Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le,
    ast.Gt: operator.gt, ast.GtE: operator.ge,
    ast.In: lambda left, right: left in right, ast.NotIn: lambda left, right: left not in right,
}  # fmt: skip
_UNARY: dict[type[ast.unaryop], Callable[[Any], Any]] = {
    ast.Not: operator.not_, ast.USub: operator.neg, ast.UAdd: operator.pos,
}  # fmt: skip
_NODES = (
    ast.Expression, ast.Module, ast.Assign, ast.AugAssign, ast.Name, ast.Load, ast.Store, ast.Constant,
    ast.BoolOp, ast.And, ast.Or, ast.UnaryOp, ast.BinOp, ast.Compare, ast.Tuple, ast.List,
    *_ARITHMETIC, *_COMPARISON, *_UNARY,
)  # fmt: skip


class _ToSandbox(Exception):
    """This code, on these values, is the sandbox's to run."""


@lru_cache(maxsize=2048)
def _recognised(code: str, mode: str) -> ast.AST | None:
    """The code's tree when every node is one this module computes, else None."""
    if len(code) > MAX_CODE_LENGTH:
        return None
    try:
        tree = ast.parse(code, mode=mode)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    for node in ast.walk(tree):
        if not isinstance(node, _NODES):
            return None
        if isinstance(node, ast.Name) and not _PLAIN_NAME.fullmatch(node.id):
            return None
        if isinstance(node, ast.Constant) and type(node.value) not in _SCALAR_TYPES:
            return None
        if isinstance(node, ast.Assign) and not (len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)):
            return None
        if isinstance(node, ast.AugAssign) and not isinstance(node.target, ast.Name):
            return None
    return tree


def evaluate(code: str, data: dict[str, Any]) -> tuple[Any] | None:
    """``(value,)`` of the expression ``code`` on ``data``, or None: the sandbox's to evaluate."""
    tree = _recognised(code, "eval")
    if not isinstance(tree, ast.Expression):
        return None
    try:
        return (_value(tree.body, data),)
    except _ToSandbox:
        return None


def execute(code: str, data: dict[str, Any]) -> dict[str, Any] | None:
    """The variables the script ``code`` sets to a new value on ``data`` (``data`` itself is
    not changed), or None: the sandbox's to run."""
    tree = _recognised(code, "exec")
    if not isinstance(tree, ast.Module):
        return None
    assigned: dict[str, Any] = {}
    names = ChainMap(assigned, data)  # the sandbox's namespace, for plain names
    try:
        for statement in tree.body:  # only assignments to plain names are recognised
            if isinstance(statement, ast.Assign):
                name = cast(ast.Name, statement.targets[0]).id
                assigned[name] = _value(statement.value, names)
            else:
                augmented = cast(ast.AugAssign, statement)
                name = cast(ast.Name, augmented.target).id
                assigned[name] = _arithmetic(type(augmented.op), _variable(name, names), _value(augmented.value, names))
    except _ToSandbox:
        return None
    # like the sandbox: a variable given the value it had is not a change (1 and 1.0 included)
    return {name: value for name, value in assigned.items() if name not in data or data[name] != value}


def _value(node: ast.AST, names: Mapping[str, Any]) -> Any:
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        return _variable(node.id, names)
    if isinstance(node, ast.BoolOp):
        return _bool_op(node, names)
    if isinstance(node, ast.UnaryOp):
        operand = _value(node.operand, names)
        if not isinstance(node.op, ast.Not):
            _number(operand)
        return _checked(_UNARY[type(node.op)](operand))
    if isinstance(node, ast.BinOp):
        return _arithmetic(type(node.op), _value(node.left, names), _value(node.right, names))
    if isinstance(node, ast.Compare):
        return _compare(node, names)
    raise _ToSandbox  # a tuple or list outside ``in``


def _variable(name: str, names: Mapping[str, Any]) -> Any:
    if name not in names:
        raise _ToSandbox  # a helper, a builtin or a name error: the sandbox knows which
    value = names[name]
    if type(value) not in _SCALAR_TYPES:
        raise _ToSandbox  # crosses to the sandbox as JSON: a date arrives as text, say
    return _checked(value)


def _bool_op(node: ast.BoolOp, names: Mapping[str, Any]) -> Any:
    """``and``/``or`` as Python: the first operand that decides, unevaluated ones skipped."""
    value: Any = None
    for operand in node.values:
        value = _value(operand, names)
        if bool(value) is isinstance(node.op, ast.Or):
            return value
    return value


def _compare(node: ast.Compare, names: Mapping[str, Any]) -> Any:
    left = _value(node.left, names)
    result: Any = True
    for op, comparator in zip(node.ops, node.comparators, strict=True):
        if isinstance(op, ast.In | ast.NotIn) and isinstance(comparator, ast.Tuple | ast.List):
            right: Any = tuple(_value(element, names) for element in comparator.elts)
        else:
            right = _value(comparator, names)
            if isinstance(op, ast.In | ast.NotIn) and not (type(left) is str and type(right) is str):
                raise _ToSandbox
        try:
            result = _COMPARISON[type(op)](left, right)
        except TypeError:
            raise _ToSandbox from None
        if not result:
            return result
        left = right
    return result


def _arithmetic(op: type[ast.operator], left: Any, right: Any) -> Any:
    try:
        return _checked(_ARITHMETIC[op](_number(left), _number(right)))
    except (ArithmeticError, KeyError):
        raise _ToSandbox from None


def _number(value: Any) -> Any:
    if type(value) not in (bool, int, float):
        raise _ToSandbox
    return value


def _checked(value: Any) -> Any:
    """Numbers within bounds (what JSON keeps exactly and the sandbox would store)."""
    if type(value) is int and not -INT_LIMIT < value < INT_LIMIT:
        raise _ToSandbox
    if type(value) is float and not math.isfinite(value):
        raise _ToSandbox
    return value


__all__ = ["evaluate", "execute"]
