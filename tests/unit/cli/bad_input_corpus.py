"""A corpus of bad input for every command: files written into a directory, and the command
lines that feed them (or bad options) to the CLI, each with a text its one-line refusal
must contain (the field, option, file:line or reason that names what is wrong).

`write_files(root)` creates the files; `cases(root)` lists `Case`s. Built at test time so
the binary, huge and deeply nested files need not live in the repository.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tests.unit.cli.test_cli import CONFIG  # a valid cloud every command accepts

GOOD_SEND = {"from": "eni-1", "dst": "10.0.2.10", "proto": "tcp", "dport": 22}
HUGE_BYTES = 33 * 1024 * 1024  # over model.source.MAX_DOCUMENT_BYTES


@dataclass(frozen=True)
class Case:
    id: str
    argv: list[str]
    says: str  # a text the error line must contain
    needs_root: bool = False


def _send_file(send: dict[str, Any]) -> str:
    return yaml.safe_dump([{"send": GOOD_SEND}, {"send": send}], sort_keys=False)


BAD_SENDS: dict[str, tuple[dict[str, Any], str]] = {
    "dport-70000": ({**GOOD_SEND, "dport": 70000}, "send[1].dport: 70000 is out of range"),
    "dport-negative": ({**GOOD_SEND, "dport": -1}, "send[1].dport"),
    "dport-bool": ({**GOOD_SEND, "dport": True}, "send[1].dport: True is not an integer"),
    "dport-text": ({**GOOD_SEND, "dport": "http"}, "send[1].dport"),
    "sport-float": ({**GOOD_SEND, "sport": 1.5}, "send[1].sport"),
    "proto-999": ({**GOOD_SEND, "proto": 999}, "send[1].proto: 999 is out of range"),
    "proto-name": ({**GOOD_SEND, "proto": "tcpp"}, "send[1].proto: unknown protocol"),
    "proto-list": ({**GOOD_SEND, "proto": [6]}, "send[1].proto"),
    "icmp-type-300": ({**GOOD_SEND, "proto": "icmp", "icmp_type": 300}, "send[1].icmp_type"),
    "icmp-code-negative": ({**GOOD_SEND, "proto": "icmp", "icmp_code": -1},
                           "send[1].icmp_code"),
    "icmp-id-big": ({**GOOD_SEND, "proto": "icmp", "icmp_id": 70000}, "send[1].icmp_id"),
    "ip-id-big": ({**GOOD_SEND, "ip_id": 65536}, "send[1].ip_id"),
    "family-mix": ({**GOOD_SEND, "src": "2001:db8::1"}, "send[1].src: an IPv6 source"),
    "src-garbage": ({**GOOD_SEND, "src": "10.0.1"}, "send[1].src"),
    "dst-garbage": ({**GOOD_SEND, "dst": "not-an-ip"}, "send[1].dst"),
    "dst-missing": ({"from": "eni-1"}, "send[1].dst: required"),
    "from-missing": ({"dst": "10.0.2.10"}, "send[1].from: required"),
    "from-number": ({**GOOD_SEND, "from": 7}, "send[1].from"),
    "from-unknown": ({**GOOD_SEND, "from": "eni-zz"}, "send[1].from: unknown sender"),
    "from-no-ipv6": ({**GOOD_SEND, "dst": "2001:db8::5"}, "send[1].from: eni-1 has no IPv6"),
    "length-small": ({**GOOD_SEND, "length": 30}, "send[1].length"),
    "length-big": ({**GOOD_SEND, "length": 70000}, "send[1].length"),
    "count-zero": ({**GOOD_SEND, "count": 0}, "send[1].count"),
    "count-huge": ({**GOOD_SEND, "count": 10**30}, "send[1].count"),
    "spread-nan": ({**GOOD_SEND, "spread": float("nan")}, "send[1].spread"),
    "flags-bad": ({**GOOD_SEND, "flags": "XYZ"}, "send[1].flags"),
    "df-text": ({**GOOD_SEND, "df": "maybe"}, "send[1].df"),
    "fragment-ipv6": ({**GOOD_SEND, "src": "2001:db8::1", "dst": "2001:db8::2",
                       "fragment_size": 600}, "send[1].fragment_size"),
    "fragment-with-df": ({**GOOD_SEND, "length": 2000, "df": True, "fragment_size": 600},
                         "send[1].fragment_size"),
    "fragment-tiny": ({**GOOD_SEND, "length": 2000, "fragment_size": 10},
                      "send[1].fragment_size"),
}

PACKET_SHAPES: dict[str, tuple[str, str]] = {
    "scalar": ("42\n", "expected a non-empty list of send steps"),
    "mapping": (yaml.safe_dump(GOOD_SEND), "expected a non-empty list"),
    "empty-list": ("[]\n", "expected a non-empty list"),
    "item-scalar": ("- 5\n", "send[0]: expected a mapping"),
    "send-list": ("- send: [1, 2]\n", "send[0]: expected a mapping of send fields"),
    "at-negative": (yaml.safe_dump([{"at": -5, "send": GOOD_SEND}]), "send[0].at"),
    "at-nan": ("- at: .nan\n  send: {from: eni-1, dst: 10.0.2.10}\n", "send[0].at"),
    "at-text": ("- at: soon\n  send: {from: eni-1, dst: 10.0.2.10}\n", "send[0].at"),
}


def write_files(root: Path) -> None:
    """The corpus's files (a good config among them, to reach the checks behind it)."""
    text = {
        "cloud.yaml": yaml.safe_dump(CONFIG),
        "good-packets.yaml": yaml.safe_dump([{"send": GOOD_SEND}]),
        "empty.yaml": "",
        "comment-only.yaml": "# nothing here\n",
        "null.yaml": "~\n",
        "scalar.yaml": "42\n",
        "list.yaml": "- a\n- b\n",
        "syntax.yaml": "vpcs:\n  - id: vpc-1\n    cidrs: [10.0.0.0/16\n",
        "tabs.yaml": "vpcs:\n\t- id: vpc-1\n",
        "nul.yaml": "vpcs: []\nx: a\x00b\n",
        "deep-flow.yaml": "[" * 100_000 + "]" * 100_000,
        "deep-block.yaml": "".join("  " * i + "k:\n" for i in range(200)) + "  " * 200 + "v\n",
        "deep.json": '{"a":' * 5000 + "1" + "}" * 5000,
        "big-number.yaml": "vpcs:\n- id: vpc-1\n  cidrs: [10.0.0.0/16]\n  n: "
                           + "9" * 100_000 + "\n",
        "recursive.yaml": "vpcs: &a [*a]\n",
        "laughs.yaml": "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
            f"{c}: &{c} [{', '.join([f'*{p}'] * 10)}]\n"
            for p, c in zip("abcdefgh", "bcdefghi", strict=True)),
        "duplicate-doc.yaml": "vpcs: []\n---\nvpcs: []\n",
        "wrong-shape.yaml": "vpcs: 5\n",
        "wrong-item.yaml": "vpcs:\n- 5\n",
        "reserved-ip.yaml": yaml.safe_dump({**CONFIG, "enis": [
            {"id": "eni-1", "subnet": "subnet-1", "ips": ["10.0.1.3"]}]}),
        "bad-mtu.yaml": yaml.safe_dump({**CONFIG, "enis": [
            {"id": "eni-1", "subnet": "subnet-1", "ips": ["10.0.1.10"], "mtu": 100000}]}),
        "unknown-ref.yaml": yaml.safe_dump({**CONFIG, "subnets": [
            {"id": "subnet-1", "vpc": "vpc-9", "cidr": "10.0.1.0/24"}]}),
        "scenario-as-config.yaml": "schema_version: 1\nscenarios: []\n",
        "aws-as-config.json": json.dumps({"Vpcs": []}),
        "not-gzip.log.gz": "plain text, not gzip\n",
    }
    for name, content in text.items():
        (root / name).write_text(content)
    (root / "binary.yaml").write_bytes(bytes(range(256)) * 4)
    (root / "latin1.yaml").write_bytes("vpcs: [café]\n".encode("latin-1"))
    with (root / "huge.yaml").open("wb") as stream:
        stream.truncate(HUGE_BYTES)  # sparse: NUL bytes, never written out
    for name, (send, _) in BAD_SENDS.items():
        (root / f"packets-{name}.yaml").write_text(_send_file(send))
    for name, (content, _) in PACKET_SHAPES.items():
        (root / f"packets-shape-{name}.yaml").write_text(content)
    _write_aws_dirs(root)
    _write_flowlog_files(root)
    _write_scenario_files(root)
    (root / "a-directory").mkdir()
    (root / "empty-dir").mkdir()


def _write_aws_dirs(root: Path) -> None:
    files = {
        "aws-binary": ("vpcs.json", bytes(range(256))),
        "aws-syntax": ("vpcs.json", b'{"Vpcs": [\n  {"VpcId": "vpc-1",}\n]}'),
        "aws-deep": ("vpcs.json", ('{"Vpcs": ' + "[" * 100_000 + "]" * 100_000 + "}").encode()),
        "aws-big-number": ("vpcs.json", ('{"Vpcs": [{"VpcId": "vpc-1", "N": '
                                         + "7" * 5000 + "}]}").encode()),
        "aws-wrong-shape": ("vpcs.json", b'{"Vpcs": 5}'),
        "aws-unknown-key": ("x.json", b'{"Reservations": []}'),
        "aws-list": ("x.json", b"[1, 2]"),
        "aws-missing-key": ("vpcs.json", b'{"Vpcs": [{"CidrBlock": "10.0.0.0/16"}]}'),
    }
    for directory, (name, content) in files.items():
        (root / directory).mkdir()
        (root / directory / name).write_bytes(content)


def _write_flowlog_files(root: Path) -> None:
    broken = {
        "fl-truncated": gzip.compress(b"version srcaddr\n2 10.0.0.1\n" * 100)[:-20],
        "fl-binary": gzip.compress(bytes(range(128, 256))),
        "fl-not-flowlog": gzip.compress(b"hello world\n"),
        "fl-short-line": gzip.compress(b"version srcaddr dstaddr\n2 10.0.0.1\n"),
        "fl-empty": gzip.compress(b""),
        "fl-garbage": b"\x1f\x8b" + bytes(range(200)),
    }
    for name, content in broken.items():
        (root / name).mkdir()
        (root / name / "x.log.gz").write_bytes(content)


T1 = "scenario T-1: "
DICT, LIST = "Input should be a valid dictionary", "Input should be a valid list"
SCENARIO_STEP = {"send": GOOD_SEND, "expect": {"result": "delivered"}}


def _scenario_file(**overrides: Any) -> str:
    scenario = {"id": "T-1", "title": "t", "config": CONFIG, "steps": [SCENARIO_STEP],
                **overrides}
    return yaml.safe_dump({"schema_version": 1, "scenarios": [scenario]}, sort_keys=False)


SCENARIO_FILES: dict[str, tuple[str, str]] = {
    "no-scenarios": ("topologies: {}\n", "not a scenario file"),
    "version": ("schema_version: 9\nscenarios: []\n", "unsupported schema_version"),
    "scenarios-number": ("schema_version: 1\nscenarios: 5\n", f"scenarios: {LIST}"),
    "scenario-number": ("schema_version: 1\nscenarios: [5]\n",
                        f"scenario #1: (document): {DICT}"),
    "topologies-list": ("schema_version: 1\ntopologies: [1]\nscenarios: []\n",
                        f"topologies: {DICT}"),
    "topology-text": ("schema_version: 1\ntopologies: {t: x}\nscenarios: []\n",
                      f"topologies.t: {DICT}"),
    "steps-number": (_scenario_file(steps=5), T1 + f"steps: {LIST}"),
    "step-text": (_scenario_file(steps=["go"]), T1 + f"steps[0]: {DICT}"),
    "tags-nested": (_scenario_file(tags=[["a"]]), T1 + "tags[0]: Input should be a valid string"),
    "config-list": (_scenario_file(config=[1]), T1 + f"config: {DICT}"),
    "send-list": (_scenario_file(steps=[{"send": [1]}]),
                  T1 + f"steps[0].send: {DICT}"),
    "send-dport": (_scenario_file(steps=[{"send": {**GOOD_SEND, "dport": 70000}}]),
                   T1 + "steps[0].send.dport: Input should be less than or equal to 65535"),
    "send-family": (_scenario_file(steps=[{**SCENARIO_STEP,
                                           "send": {**GOOD_SEND, "src": "::1"}}]),
                    "steps[0].send"),
    "at-nan": (_scenario_file(steps=[{**SCENARIO_STEP, "at": float("nan")}]),
               T1 + "steps[0].at: Input should be a finite number"),
    "advance-negative": (_scenario_file(steps=[{"advance": -100}]),
                         T1 + "steps[0].advance: Input should be greater than or equal to 0"),
    "patch-list": (_scenario_file(steps=[{"patch": [1]}]),
                   T1 + f"steps[0].patch: {DICT}"),
    "expect-list": (_scenario_file(steps=[{**SCENARIO_STEP, "expect": [1]}]),
                    T1 + f"steps[0].expect: {DICT}"),
    "expect-counters-list": (
        _scenario_file(steps=[{**SCENARIO_STEP,
                               "expect": {"result": "delivered", "counters": [1]}}]),
        T1 + f"steps[0].expect.counters: {DICT}"),
    "expect-flow-logs-text": (
        _scenario_file(steps=[{**SCENARIO_STEP,
                               "expect": {"result": "delivered", "flow_logs": ["x"]}}]),
        T1 + f"steps[0].expect.flow_logs[0]: {DICT}"),
}


def _write_scenario_files(root: Path) -> None:
    for name, (content, _) in SCENARIO_FILES.items():
        (root / f"scenario-{name}.yaml").write_text(content)


# Files no command accepts as a config (or a scenario or packets file), and what each
# refusal says.
BAD_FILES = {
    "missing.yaml": "cannot read: No such file or directory",
    "a-directory": "is a directory",
    "empty.yaml": "empty",
    "comment-only.yaml": "empty",
    "binary.yaml": "not UTF-8 text",
    "latin1.yaml": "not UTF-8 text",
    "huge.yaml": "larger than 32 MiB",
    "syntax.yaml": "syntax.yaml:4:",
    "tabs.yaml": "tabs.yaml:2:",
    "nul.yaml": "nul.yaml:2: character U+0000 is not allowed",
    "deep-flow.yaml": "nested deeper than 64 levels",
    "deep-block.yaml": "nested deeper than 64 levels",
    "deep.json": "nested deeper than 64 levels",
    "big-number.yaml": "big-number.yaml:4: a number of 100000 characters",
    "recursive.yaml": "recursive alias",
    "laughs.yaml": "aliases expand to more than",
    "duplicate-doc.yaml": "expected a single document",
}
BAD_CONFIGS = {
    **BAD_FILES,
    "a-directory": "no describe-* output found",  # a directory is read as AWS JSON
    "null.yaml": "a config must be a mapping",
    "scalar.yaml": "a config must be a mapping",
    "list.yaml": "a config must be a mapping",
    "wrong-shape.yaml": "wrong-shape.yaml:1: config.vpcs",
    "wrong-item.yaml": "wrong-item.yaml:2: vpcs[0]",
    "reserved-ip.yaml": "eni-1.ips[0]: 10.0.1.3 is a reserved address",
    "bad-mtu.yaml": "eni-1.mtu",
    "unknown-ref.yaml": "subnet-1.vpc",
    "scenario-as-config.yaml": "scenario-as-config.yaml:2: this is a scenario file",
    "aws-as-config.json": "Vpcs: AWS describe-* output",
    "empty-dir": "no describe-* output found",
    "aws-binary": "vpcs.json: not UTF-8 text",
    "aws-syntax": "vpcs.json:2: cannot parse JSON",
    "aws-deep": "vpcs.json: cannot parse JSON: nested too deeply",
    "aws-big-number": "vpcs.json: cannot parse JSON: a number too long",
    "aws-wrong-shape": "vpcs.json.Vpcs: expected a list of objects",
    "aws-unknown-key": "x.json.Reservations: unknown top-level key",
    "aws-list": "x.json",
    "aws-missing-key": "VpcId",
}


def cases(root: Path) -> list[Case]:
    return [*_config_cases(root), *_trace_option_cases(root), *_packets_cases(root),
            *_flowlogs_cases(root), *_scenario_cases(root), *_other_cases(root)]


def _config_cases(root: Path) -> list[Case]:
    found = []
    for name, says in BAD_CONFIGS.items():
        config = str(root / name)
        found += [
            Case(f"validate-{name}", ["validate", config], says),
            Case(f"trace-config-{name}", ["trace", "--config", config, "--from", "eni-1",
                                          "--dst", "10.0.2.10"], says),
            Case(f"flowlogs-config-{name}", ["flowlogs", "--config", config, "--packets",
                                             str(root / "good-packets.yaml")], says),
            Case(f"up-{name}", ["up", config, "--name", "cnb"], says,
                 needs_root=True),
        ]
    return found


TRACE_OPTIONS: dict[str, tuple[list[str], str]] = {
    "dport-70000": (["--dport", "70000"], "--dport: 70000 is out of range 0..65535"),
    "dport-negative": (["--dport", "-1"], "--dport: -1 is out of range"),
    "dport-huge": (["--dport", "9" * 100_000], "--dport"),
    "dport-text": (["--dport", "http"], "'--dport'"),
    "dport-float": (["--dport", "2.5"], "'--dport'"),
    "sport-65536": (["--sport", "65536"], "--sport: 65536 is out of range"),
    "proto-999": (["--proto", "999"], "--proto: 999 is out of range 0..255"),
    "proto-negative": (["--proto", "-1"], "--proto: unknown protocol"),
    "proto-name": (["--proto", "sctpp"], "--proto: unknown protocol 'sctpp'"),
    "icmp-type-300": (["--proto", "icmp", "--icmp-type", "300"], "--icmp-type: 300"),
    "icmp-type-negative": (["--proto", "icmp", "--icmp-type", "-1"], "--icmp-type"),
    "icmp-code-256": (["--proto", "icmp", "--icmp-code", "256"], "--icmp-code: 256"),
    "length-70000": (["--length", "70000"], "--length: 70000 is out of range"),
    "length-small": (["--length", "21"], "--length"),
    "length-zero": (["--length", "0"], "--length"),
    "src-ipv6-dst-ipv4": (["--src", "2001:db8::1"], "--src: an IPv6 source for an IPv4 dst"),
    "src-garbage": (["--src", "1.2.3"], "--src: '1.2.3' is not an IPv4 or IPv6 address"),
    "flags-bad": (["--flags", "SYN"], "--flags: 'SYN' is not one of"),
    "from-unknown": (["--from", "eni-nope"], "--from: unknown sender 'eni-nope'"),
    "from-no-ipv6": (["--dst", "2001:db8::9"], "--from: eni-1 has no IPv6 address"),
    "dst-garbage": (["--dst", "10.0.2"], "--dst: '10.0.2' is not an IPv4 or IPv6 address"),
    "unknown-option": (["--bogus", "1"], "No such option: --bogus"),
}


def _trace_option_cases(root: Path) -> list[Case]:
    config = str(root / "cloud.yaml")
    found = [
        Case("trace-no-config", ["trace", "--from", "eni-1", "--dst", "10.0.2.10"],
             "Missing option '--config'"),
        Case("trace-no-dst", ["trace", "--config", config, "--from", "eni-1"],
             "--from and --dst are required"),
        Case("trace-config-missing-value", ["trace", "--config"], "'--config'"),
    ]
    for name, (options, says) in TRACE_OPTIONS.items():
        sender = [] if "--from" in options else ["--from", "eni-1"]
        dst = [] if "--dst" in options else ["--dst", "10.0.2.10"]
        found.append(Case(f"trace-option-{name}",
                          ["trace", "--config", config, *sender, *dst, *options], says))
    found.append(Case("trace-packets-and-options",
                      ["trace", "--config", config, "--packets",
                       str(root / "good-packets.yaml"), "--dport", "22"],
                      "give --packets or packet options, not both"))
    return found


def _packets_cases(root: Path) -> list[Case]:
    config = str(root / "cloud.yaml")
    found = []
    files = {**{f"packets-{n}.yaml": says for n, (_, says) in BAD_SENDS.items()},
             **{f"packets-shape-{n}.yaml": says for n, (_, says) in PACKET_SHAPES.items()},
             **BAD_FILES}
    for name, says in files.items():
        packets = str(root / name)
        found += [
            Case(f"trace-packets-{name}", ["trace", "--config", config, "--packets", packets],
                 says),
            Case(f"flowlogs-packets-{name}", ["flowlogs", "--config", config, "--packets",
                                              packets], says),
        ]
    return found


def _flowlogs_cases(root: Path) -> list[Case]:
    config, packets = str(root / "cloud.yaml"), str(root / "good-packets.yaml")
    replay = ["flowlogs", "--config", config, "--packets", packets]
    found = [
        Case(f"flowlogs-advance-{value}", [*replay, "--advance", value], says)
        for value, says in (("-100", "--advance: -100.0 is out of range"),
                            ("nan", "--advance: nan"), ("inf", "--advance: inf"),
                            ("1e300", "--advance: 1e+300"), ("soon", "'--advance'"))
    ]
    found += [
        Case(f"flowlogs-deliver-{name}", [*replay, "--deliver", target], says)
        for name, target, says in (
            ("under-a-file", str(root / "cloud.yaml" / "out"), "cannot write"),
            ("a-file", str(root / "cloud.yaml"), "cannot write"),
            ("proc", "/proc/self/smartnic-corpus", "cannot write"),
            ("dev-null", "/dev/null/out", "cannot write"),
        )
    ]
    found += [
        Case(f"flowlogs-read-{name}", ["flowlogs", "--read", str(root / name)], says)
        for name, says in (
            ("missing", "no such file or directory"),
            ("empty-dir", "no delivered flow-log files"),
            ("fl-truncated", "truncated"),
            ("fl-binary", "not UTF-8 text"),
            ("fl-not-flowlog", "not a flow-log file"),
            ("fl-short-line", "x.log.gz:2: 2 values for the header's 3 fields"),
            ("fl-empty", "empty"),
            ("fl-garbage", "not a readable gzip file"),
            ("not-gzip.log.gz", "not a readable gzip file"),
            ("cloud.yaml", "not a readable gzip file"),
        )
    ]
    found += [
        Case("flowlogs-nothing", ["flowlogs"], "give --config and --packets, or --read DIR"),
        Case("flowlogs-config-only", ["flowlogs", "--config", config], "give --config and"),
        Case("flowlogs-read-and-config", ["flowlogs", "--read", str(root / "empty-dir"),
                                          "--config", config], "give it alone"),
        Case("flowlogs-unknown-option", ["flowlogs", "--bogus"], "No such option"),
    ]
    return found


def _scenario_cases(root: Path) -> list[Case]:
    found = [Case(f"scenarios-{name}", ["scenarios", "run", str(root / f"scenario-{name}.yaml")],
                  says) for name, (_, says) in SCENARIO_FILES.items()]
    found += [Case(f"scenarios-file-{name}", ["scenarios", "run", str(root / name)], says)
              for name, says in BAD_FILES.items()]
    found += [
        Case("scenarios-run-no-file", ["scenarios", "run"], "Missing argument"),
        Case("scenarios-unknown-command", ["scenarios", "walk"], "No such command"),
        Case("scenarios-second-file-bad", ["scenarios", "run", str(root / "scenario-version.yaml"),
                                           str(root / "binary.yaml")],
             "unsupported schema_version"),
    ]
    return found


def _other_cases(root: Path) -> list[Case]:
    return [
        Case("unknown-command", ["tracee"], "No such command"),
        Case("validate-no-argument", ["validate"], "Missing argument"),
        Case("validate-two-arguments", ["validate", "a", "b"], "unexpected extra argument"),
        Case("demo-out-under-a-file", ["demo", "--out", str(root / "cloud.yaml" / "d")],
             "--out"),
        Case("demo-out-proc", ["demo", "--out", "/proc/self/smartnic-corpus"], "--out"),
        Case("demo-unknown-option", ["demo", "--bogus"], "No such option"),
        Case("demo-netns-value", ["demo", "--netns=maybe"], "--netns"),
        Case("bench-unknown-option", ["bench", "--fast"], "No such option"),
        Case("bench-quick-value", ["bench", "--quick=3"], "--quick"),
        Case("up-no-argument", ["up"], "Missing argument"),
        Case("up-unknown-option", ["up", "x.yaml", "--bogus"], "No such option"),
        Case("up-name-missing-value", ["up", "x.yaml", "--name"], "'--name'"),
        Case("down-unknown-option", ["down", "--bogus"], "No such option"),
        Case("down-two-arguments", ["down", "a", "b"], "unexpected extra argument"),
        Case("status-json-value", ["status", "--json=1"], "--json"),
        Case("status-unknown-option", ["status", "--bogus"], "No such option"),
        Case("counters-two-arguments", ["counters", "a", "b"], "unexpected extra argument"),
        Case("counters-name-missing-value", ["counters", "--name"], "'--name'"),
        *_long_name_cases(root),
        Case("trace-option-markup", ["trace", "--config", str(root / "cloud.yaml"),
                                     "--from", "[bold]eni[/]", "--dst", "10.0.2.10"],
             "unknown sender '[bold]eni[/]'"),
        *[Case(f"{command}-name-invalid", [command, "--name", "Bad!"],
               "invalid topology name 'Bad!'",
               needs_root=command == "down")
          for command in ("status", "counters", "down")],
        Case("engine-spec-missing", ["engine", "--spec", str(root / "missing.json")],
             "engines are started by `smartnic up`"),
    ]


def _long_name_cases(root: Path) -> list[Case]:
    """A name longer than the system allows (ENAMETOOLONG, an OSError from Path.is_dir)."""
    long = str(root / ("x" * 5000))
    return [
        Case("validate-name-too-long", ["validate", long], "File name too long"),
        Case("trace-packets-name-too-long", ["trace", "--config", str(root / "cloud.yaml"),
                                             "--packets", long], "File name too long"),
        Case("scenarios-name-too-long", ["scenarios", "run", long], "File name too long"),
        Case("flowlogs-read-name-too-long", ["flowlogs", "--read", long], "File name too long"),
        Case("demo-out-name-too-long", ["demo", "--out", long], "File name too long"),
    ]
