#!/usr/bin/env python3
"""The Group Policy templates agree with the code and the MSI:
    check-policy.py SOURCE_DIR
- ferry.admx and en-US/ferry.adml are well-formed, and every $(string.X) /
  $(presentation.X) of the ADMX, and every presentation's refId, resolves;
- every policy writes under SOFTWARE\\Policies\\Ferry (win_config_load's
  policy key, service/win/config.h);
- the policies' value names are exactly the settings service/win/config.c
  reads, and each is a value the MSI writes under SOFTWARE\\Ferry
  (installer/Ferry.wxs.in), so precedence is one name, two keys.
"""
import re
import sys
import xml.etree.ElementTree as ET

NS = {"p": "http://schemas.microsoft.com/GroupPolicy/2006/07/PolicyDefinitions"}
src = sys.argv[1]
fails = 0


def check(cond, what):
    global fails
    print(("ok   - " if cond else "FAIL - ") + what)
    fails += 0 if cond else 1


admx = ET.parse(f"{src}/installer/policy/ferry.admx").getroot()
adml = ET.parse(f"{src}/installer/policy/en-US/ferry.adml").getroot()
strings = {s.get("id") for s in adml.iterfind(".//p:stringTable/p:string", NS)}
presentations = {p.get("id"): p for p in adml.iterfind(".//p:presentationTable/p:presentation", NS)}

text = ET.tostring(admx, encoding="unicode")
for ref in re.findall(r"\$\(string\.([A-Za-z0-9_]+)\)", text):
    check(ref in strings, f"ADML has string {ref}")
for ref in re.findall(r"\$\(presentation\.([A-Za-z0-9_]+)\)", text):
    check(ref in presentations, f"ADML has presentation {ref}")

value_names = set()
for pol in admx.iterfind(".//p:policies/p:policy", NS):
    name = pol.get("name")
    check(pol.get("key") == "SOFTWARE\\Policies\\Ferry", f"{name}: key SOFTWARE\\Policies\\Ferry")
    check(pol.get("class") == "Machine", f"{name}: machine policy")
    vn = pol.get("valueName")
    if vn:
        value_names.add(vn)
    for el in pol.iterfind("p:elements/*", NS):
        value_names.add(el.get("valueName"))
        pres = presentations.get(name)
        refs = {c.get("refId") for c in pres} if pres is not None else set()
        check(el.get("id") in refs, f"{name}: presentation shows element {el.get('id')}")

config = open(f"{src}/service/win/config.c").read()
m = re.search(r"value_names\[WIN_CONFIG_FIELDS\] = \{(.*?)\};", config, re.S)
code_names = set(re.findall(r'L"([A-Za-z0-9]+)"', m.group(1))) if m else set()
check(code_names and value_names == code_names,
      f"policy value names {sorted(value_names)} == config.c {sorted(code_names)}")
wxs = open(f"{src}/installer/Ferry.wxs.in").read()
msi_names = set(re.findall(r'Key="SOFTWARE\\Ferry" Name="([A-Za-z0-9]+)"', wxs))
check(value_names <= msi_names, f"every policy value is also written by the MSI ({sorted(value_names - msi_names)} missing)")
print(f"{'FAILED' if fails else 'passed'}: {fails} failure(s)")
sys.exit(1 if fails else 0)
