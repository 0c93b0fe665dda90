"""The one catalogue of reason codes and role names.

Each reason code has a short Chinese label (reports, the desk's outcome line, exports), what the desk tells the
person (refusal letters too), and an English label for the desk's other language; each role a Chinese and an
English name (badges, notices, the desk). Everything that shows a reason or a role looks it up here. A code a
policy's question adds, which the catalogue cannot know, shows as itself.
"""

from __future__ import annotations

from collections.abc import Mapping

import attrs

from tenderguard.domain.model import Reason
from tenderguard.policy import Role
from tenderguard.records.retention import PURGED_REASON

__all__ = ["REASONS", "ROLES", "ReasonText", "reason_label", "reason_tell", "role_label"]


@attrs.frozen
class ReasonText:
    """What a reason code is called, and what the person is told."""

    label: str
    tell: str
    english: str


_SEPARATE = "由工作人员全程代办或不见面开标"

#: Reason code → its texts.
REASONS: Mapping[str, ReasonText] = {
    Reason.FEVER: ReasonText("体温异常", "体温复测仍达到或超过标准,不能进入;请前往医院发热门诊就诊,并将通报所在单位",
                             "fever (still high when re-measured)"),
    Reason.SYMPTOMS: ReasonText("有症状", "有发热、咳嗽等症状,不能进入;请及时就医", "symptoms"),
    Reason.CONTACT: ReasonText("接触史", f"有接触史,请到独立等候区,{_SEPARATE}", "contact with a case"),
    Reason.KEY_AREA: ReasonText("重点地区", f"来自重点地区,请到独立服务专厅,{_SEPARATE}", "from a key area"),
    Reason.COMPANY_QUOTA: ReasonText(
        "一公司一人", "本公司今日已有一人入场(一公司一人,一标识一天);如需换人,请交回原健康标识",
        "the company already has its person inside today"),
    Reason.ROLE_QUOTA: ReasonText("人数限额", "本单位该类人员今日入场人数已满", "the role's places are taken"),
    Reason.HALL_FULL: ReasonText("开标室满员", "开标室人数已满,请在场外等候,有人离场后再进入", "the hall is full"),
    Reason.NO_MASK: ReasonText("未戴口罩", "未按要求佩戴口罩,不能进入", "no mask"),
    Reason.NO_DECLARATION: ReasonText("未交调查表", "未提交健康调查表,不能进入", "no health declaration"),
    Reason.DECLARATION_MISMATCH: ReasonText("调查表不符", "健康调查表与本人信息不符,不能进入",
                                            "declaration does not match"),
    Reason.HEALTH_CODE: ReasonText("健康码异常", "健康码非绿码,不能进入", "health code not accepted"),
    Reason.TEST_EXPIRED: ReasonText("核酸证明过期", "核酸检测阴性证明已超过有效时间,不能进入", "test report too old"),
    Reason.NO_TEST: ReasonText("无核酸证明", "未提供核酸检测阴性证明,不能进入", "no test report"),
    Reason.TEST_POSITIVE: ReasonText("核酸结果异常", "核酸检测结果异常,不能进入", "test not negative"),
    Reason.MEASURING_ERROR: ReasonText("测温无效", "多次测温均无法得到有效读数,不能进入;请到医疗点复核体温",
                                       "no valid temperature reading"),
    Reason.BADGE_REVOKED: ReasonText("标识已作废", "今日健康标识已交回或作废,不能凭此再次进入", "badge revoked"),
    Reason.REENTRY_NOT_ALLOWED: ReasonText("不得再次进入", "按规定今日不能再次进入", "re-entry not allowed today"),
    Reason.IDENTITY_MISMATCH: ReasonText("证件姓名不符", "该证件号码今日已以其他姓名登记,请重新读取身份证并核对姓名",
                                         "ID number registered under another name"),
    Reason.REPRESENTS_OTHER_BIDDER: ReasonText(
        "代表两家投标人", "此人今日已代表另一家投标单位进场,同一人不能代表两家投标人;已报告监督人员",
        "already represents another bidder"),
    Reason.SESSION_CLOSED: ReasonText("场次已结束", "该场次已结束,不能进入", "session closed"),
    Reason.ABANDONED: ReasonText("中途离开", "未完成检查即离开", "left before finishing"),
    PURGED_REASON: ReasonText("健康原因", "因健康原因未能进入", "health reasons"),
}

#: Role → (Chinese, English) name.
ROLES: Mapping[str, tuple[str, str]] = {
    Role.BIDDER: ("投标人", "bidder"), Role.TENDERER: ("招标人", "tenderer"), Role.AGENCY: ("招标代理", "agency"),
    Role.SUPERVISOR: ("监督人员", "supervisor"), Role.EXPERT: ("评标专家", "expert"), Role.OTHER: ("其他人员", "other"),
}


def reason_label(code: str | None, lang: str = "zh") -> str:
    """The short label of a reason code, in Chinese (``zh``) or English (``en``); an unknown code as itself."""
    if not code:
        return ""
    entry = REASONS.get(code)
    if entry is None:
        return code
    return entry.english if lang == "en" else entry.label


def reason_tell(code: str | None, default: str | None = None) -> str:
    """What the desk tells the person refused or referred for ``code`` (``default``, else the code, if unknown)."""
    if not code:
        return default or ""
    entry = REASONS.get(code)
    return entry.tell if entry is not None else (default if default is not None else code)


def role_label(role: str, lang: str = "zh") -> str:
    """A role's name in Chinese (``zh``) or English (``en``); an unknown role as itself."""
    names = ROLES.get(role)
    if names is None:
        return str(role)
    return names[1] if lang == "en" else names[0]
