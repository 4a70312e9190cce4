"""Load from a second process on loopback: wrk, driven by a Lua script per endpoint, bounded in time.

Reads go round the list of requests they are given (several objects, so no single row stays hot). Writes
take pledges from a pool split between wrk's threads: request ``k`` of a thread changes the pledge
``k mod n`` of its share, expecting version ``1 + k div n`` in If-Match, so every write is expected to be
accepted (a 412 would be an error of the benchmark, and is counted as one). An update sets a new amount
each time; a transition alternates ``submit`` and ``reopen``.
"""

import json
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

RESULT_MARK = "BENCH_RESULT "


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    body: str | None = None


@dataclass(frozen=True)
class PoolItem:
    """A pledge a write endpoint changes, the token of an official of its state, and its stored version."""

    pledge_id: int
    token: str
    version: int
    amount: int


@dataclass(frozen=True)
class Endpoint:
    key: str
    label: str
    requests: tuple[Request, ...] = ()
    pool: tuple[PoolItem, ...] = ()
    write: str = ""  # "update" or "transition" for the pool endpoints
    expect: int = 200


@dataclass(frozen=True)
class LoadResult:
    requests: int
    seconds: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    socket_errors: int  # connect, read, write, timeout
    bad_status: int  # answers other than the expected status
    first_bad_status: int

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def errors(self) -> int:
        return self.socket_errors + self.bad_status


def wrk_path() -> str | None:
    return shutil.which("wrk")


def _lua_string(value: str) -> str:
    return json.dumps(value)  # a JSON string literal is a valid Lua string literal for our ASCII values


def _lua_request(request: Request) -> str:
    headers = ", ".join(f"[{_lua_string(k)}] = {_lua_string(v)}" for k, v in request.headers.items())
    body = _lua_string(request.body) if request.body is not None else "nil"
    method, path = _lua_string(request.method), _lua_string(request.path)
    return f"{{method = {method}, path = {path}, headers = {{{headers}}}, body = {body}}}"


def _lua_data(endpoint: Endpoint, threads: int) -> str:
    requests = ",\n".join(_lua_request(r) for r in endpoint.requests)
    pool = ",\n".join(
        f"{{id = {i.pledge_id}, token = {_lua_string(i.token)}, version = {i.version}, amount = {i.amount}}}"
        for i in endpoint.pool
    )
    return (
        f"return {{threads = {threads}, expect = {endpoint.expect}, write = {_lua_string(endpoint.write)},\n"
        f"requests = {{\n{requests}\n}},\npool = {{\n{pool}\n}}}}\n"
    )


LUA_SCRIPT = r"""
local data = dofile(DATA_FILE)
local threads = {}

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

function init(args)
  bad = 0
  first_bad = 0
  k = 0
  formatted = {}
  for i, r in ipairs(data.requests) do
    formatted[i] = wrk.format(r.method, r.path, r.headers, r.body)
  end
  mine = {}
  for i, item in ipairs(data.pool) do
    if (i - 1) % data.threads == tid then table.insert(mine, item) end
  end
  if #formatted > 0 then k = math.floor(tid * #formatted / data.threads) end
end

function request()
  if data.write == "" then
    local r = formatted[(k % #formatted) + 1]
    k = k + 1
    return r
  end
  local n = #mine
  local item = mine[(k % n) + 1]
  local pass = math.floor(k / n)
  k = k + 1
  local headers = {
    ["Authorization"] = "Token " .. item.token,
    ["Content-Type"] = "application/json",
    ["If-Match"] = '"' .. (item.version + pass) .. '"',
  }
  local path, body
  if data.write == "update" then
    path = "/api/v1/pledges/" .. item.id .. "/"
    body = string.format('{"amount_eur": "%d.00", "reason": "Benchmark revision"}', item.amount + pass + 1)
    return wrk.format("PATCH", path, headers, body)
  end
  local name = (pass % 2 == 0) and "submit" or "reopen"
  path = "/api/v1/pledges/" .. item.id .. "/transition/"
  body = '{"transition": "' .. name .. '", "reason": "Benchmark transition"}'
  return wrk.format("POST", path, headers, body)
end

function response(status, headers, body)
  if status ~= data.expect then
    bad = bad + 1
    if first_bad == 0 then first_bad = status end
  end
end

function done(summary, latency, requests)
  local bad_total, first = 0, 0
  for _, t in ipairs(threads) do
    bad_total = bad_total + t:get("bad")
    if first == 0 then first = t:get("first_bad") end
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests": %d, "duration_us": %d, "p50_us": %d, "p95_us": %d, "p99_us": %d, "max_us": %d, ' ..
    '"socket_errors": %d, "bad_status": %d, "first_bad_status": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95), latency:percentile(99),
    latency.max, e.connect + e.read + e.write + e.timeout, bad_total, first))
end
"""


def run_wrk(
    endpoint: Endpoint,
    *,
    base_url: str,
    seconds: float,
    connections: int,
    threads: int,
    workdir: Path,
    timeout_s: float = 30,
) -> LoadResult:
    """One bounded wrk run of ``endpoint``; raises RuntimeError when wrk fails or prints no result."""
    data_file = workdir / f"{endpoint.key}.data.lua"
    script = workdir / f"{endpoint.key}.lua"
    data_file.write_text(_lua_data(endpoint, threads))
    script.write_text(f"DATA_FILE = {_lua_string(str(data_file))}\n{LUA_SCRIPT}")
    command = [
        wrk_path() or "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        f"--timeout={round(timeout_s)}s",
        "-s",
        str(script),
        base_url,
    ]
    completed = subprocess.run(  # noqa: S603 - wrk with our own arguments
        command, capture_output=True, text=True, timeout=seconds + timeout_s + 30, check=False
    )
    for line in completed.stdout.splitlines():
        if line.startswith(RESULT_MARK):
            raw = json.loads(line[len(RESULT_MARK) :])
            return LoadResult(
                requests=raw["requests"],
                seconds=raw["duration_us"] / 1e6,
                p50_ms=raw["p50_us"] / 1000,
                p95_ms=raw["p95_us"] / 1000,
                p99_ms=raw["p99_us"] / 1000,
                max_ms=raw["max_us"] / 1000,
                socket_errors=raw["socket_errors"],
                bad_status=raw["bad_status"],
                first_bad_status=raw["first_bad_status"],
            )
    raise RuntimeError(f"wrk printed no result (exit {completed.returncode}): {completed.stderr or completed.stdout}")
