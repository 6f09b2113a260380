"""A deterministic generator of complete, valid, realistic deployments.

Used for the repository's committed sample data (``data/``), for tests and for the
province-scale benchmark::

    python -m zhilian.demo --cadres N --out DIR [--seed S] [--today YYYY-MM-DD]
    python -m zhilian.demo --sample --out DIR [--seed S] [--today YYYY-MM-DD]

or from Python: ``generate(out, cadres, seed=1, today=date(2026, 11, 20), sample=False)``.

What is written into ``out``:

- ``site_config.yml`` — only when ``out`` has none yet: a copy of the repository's
  ``site_config.yml`` (or an embedded equivalent when the package runs without its
  repository).  An existing ``out/site_config.yml`` is kept untouched and the data is
  generated against *it* (its campaigns, quotas, family categories, grace days), so
  ``python -m zhilian.demo --sample --out .`` in the repository rewrites only ``data/``.
- ``data/org/{committees,branches,dorm_groups}.yml``, ``data/cadres/<id>.yml``,
  ``data/notes/<cadre-id>/<YYYY-MM-DD>-<slug>.md``, ``data/surveys/<year>.yml`` and, in
  sample mode, ``data/photos/<cadre-id>.jpg|png`` (abstract silhouettes drawn with
  Pillow; one JPEG carries EXIF metadata with a fake GPS position so tests can prove
  the published copy strips it).  These five ``data/`` sub-folders are deleted and
  rewritten on every run, so no stale file survives; nothing else in ``out`` is touched.

Everything is fictional: the university 青岚大学, names drawn from surname and given-name
character lists, phone numbers, QQ numbers, GitHub logins.  The same arguments always
give byte-identical files (one ``random.Random(seed)`` stream, no clock, no hash order).

Modes:

- ``--cadres N``: about one 分团委 per 15 cadres (at least 6), 4–5 团支部 and 10–12
  宿舍团小组 each; 20 % 校级 cadres; about 5 % 系级 cadres appointed inside the grace
  period and still below quota (warnings, not errors); every other cadre meets every
  quota and diversity minimum of ``site_config.yml``; ~100 youth and ~20 notes per cadre.
- ``--sample``: the repository's sample (``--cadres`` is not used): 6 分团委, 14 cadres
  (4 校级, 10 系级), photos for half of them.  Two 系级 cadres were appointed within the
  grace period and are below quota (60 and 35 current youth, 6 and 4 dorm groups), one
  cadre has contact channels but no ``consent_on``.

Data invariants (what ``build.py check`` enforces) hold by construction: every id
referenced exists; a 学号 has the same attributes in every file; at most
``max_cadres_per_youth`` cadres list a 学号 as current; note participants are current
youth of the note's cadre on the note's date; every campaign window that ended after a
cadre's ``since`` and before ``today`` has a note of that cadre; the latest note is at
most 20 days old; public notes and public fields never contain a youth's name or 学号.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import re
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .model.config import SiteConfig

DEFAULT_TODAY = dt.date(2026, 11, 20)
MANAGED_DIRS = ("org", "cadres", "notes", "surveys", "photos")
SCHEMA_DIR_FROM_DATA = "../../schemas"  # data/<sub>/<file> → <repo>/schemas

# Used only when the package runs without its repository (no ../site_config.yml).
EMBEDDED_SITE_CONFIG = """\
# yaml-language-server: $schema=schemas/site_config.schema.json
# 站点配置：规则中的每个数字都在这里，修改后重新运行 python build.py check 即生效。

site:
  title: 团干部直接联系青年
  organization: 共青团青岚大学委员会
  base_url: https://tuanwei.qinglan.example.edu.cn/zhilian/
  indexable: false            # 是否允许搜索引擎收录公开的亮身份目录
  footer:
    address: 青岚市学府路 1 号 青岚大学行政楼 301 室
    phone: "0358-3380000"
    email: tuanwei@qinglan.example.edu.cn

limits:
  max_file_bytes: 1048576     # 单个数据文件的上限（字节），防止误传超大文件

# 联系指标（《团干部直接联系青年》通知）：每个级别至少联系的单位和青年数量
quotas:
  校级: {committees: 3, branches: 2, dorm_groups: 10, youth: 100}
  系级: {committees: 0, branches: 2, dorm_groups: 10, youth: 100}

grace_days: 180               # 新任团干部自 since 起的“逐步达到”期限（天），期内未达标只提示

# 联系青年的多样性：当前联系的青年中至少包含多少种不同的……
diversity:
  majors: 3
  grades: 3
  political_statuses: 2
  family_categories: 2

max_cadres_per_youth: 3       # 同一名青年最多被几位团干部同时联系（避免反复联系少数人）

family_categories: [城镇, 农村, 经济困难, 其他]

activity:
  max_days_without_note: 45   # 超过这么多天没有活动记录就提示

# 集中活动时间窗口（每年重复，月-日）
campaigns:
  - {key: may4, name: 五四, start: "04-20", end: "05-15"}
  - {key: national_day, name: 国庆, start: "09-20", end: "10-15"}
  - {key: dec9, name: 一二·九, start: "11-25", end: "12-15"}

report:
  working_days_after_national_day: 5   # 国庆假期后第几个工作日前上报
  # chinesecalendar 尚未收录的年份，在此给出国庆假期最后一天和调休上班日：
  holiday_overrides: {}
  #  2028: {national_day_last_day: 2028-10-07, makeup_workdays: [2028-09-30, 2028-10-08]}

problems:
  common_issue_min_cadres: 2  # 同类问题被至少几位团干部提出时标记“建议转交”

evaluation:
  weights: {fulfilment: 0.4, activity: 0.3, satisfaction: 0.3}
  activity_target_notes_per_month: 2   # 活跃度满分所需的月均活动记录数

admins: [qinglan-tuanwei, tuanwei-zhangli]
"""

# --- vocabulary -----------------------------------------------------------------------------

# fmt: off

SURNAMES = [
    ("王", "wang"), ("李", "li"), ("张", "zhang"), ("刘", "liu"), ("陈", "chen"),
    ("杨", "yang"), ("赵", "zhao"), ("黄", "huang"), ("吴", "wu"), ("徐", "xu"),
    ("孙", "sun"), ("胡", "hu"), ("朱", "zhu"), ("郭", "guo"), ("林", "lin"),
    ("罗", "luo"), ("梁", "liang"), ("宋", "song"), ("郑", "zheng"), ("谢", "xie"),
    ("韩", "han"), ("唐", "tang"), ("冯", "feng"), ("邓", "deng"), ("曹", "cao"),
    ("彭", "peng"), ("肖", "xiao"), ("田", "tian"), ("董", "dong"), ("袁", "yuan"),
    ("潘", "pan"), ("蒋", "jiang"), ("蔡", "cai"), ("杜", "du"), ("叶", "ye"),
    ("魏", "wei"), ("吕", "lv"), ("丁", "ding"), ("沈", "shen"), ("姚", "yao"),
    ("卢", "lu"), ("姜", "jiang"), ("崔", "cui"), ("钟", "zhong"), ("谭", "tan"),
    ("陆", "lu"), ("汪", "wang"), ("范", "fan"), ("廖", "liao"), ("贾", "jia"),
    ("夏", "xia"), ("韦", "wei"), ("邱", "qiu"), ("秦", "qin"), ("尹", "yin"),
    ("薛", "xue"), ("雷", "lei"), ("侯", "hou"), ("龙", "long"), ("史", "shi"),
    ("陶", "tao"), ("贺", "he"), ("顾", "gu"), ("毛", "mao"), ("郝", "hao"),
    ("龚", "gong"), ("邵", "shao"), ("孔", "kong"), ("严", "yan"), ("武", "wu"),
    ("戴", "dai"), ("白", "bai"), ("孟", "meng"), ("乔", "qiao"), ("段", "duan"),
    ("温", "wen"), ("俞", "yu"), ("柳", "liu"), ("岳", "yue"), ("申", "shen"),
]  # fmt: skip

GIVEN = [
    ("晓", "xiao"), ("明", "ming"), ("华", "hua"), ("伟", "wei"), ("芳", "fang"),
    ("敏", "min"), ("静", "jing"), ("丽", "li"), ("强", "qiang"), ("磊", "lei"),
    ("军", "jun"), ("洋", "yang"), ("勇", "yong"), ("艳", "yan"), ("杰", "jie"),
    ("娟", "juan"), ("涛", "tao"), ("超", "chao"), ("秀", "xiu"), ("霞", "xia"),
    ("刚", "gang"), ("英", "ying"), ("浩", "hao"), ("宇", "yu"), ("轩", "xuan"),
    ("涵", "han"), ("欣", "xin"), ("怡", "yi"), ("梓", "zi"), ("博", "bo"),
    ("文", "wen"), ("思", "si"), ("雨", "yu"), ("晨", "chen"), ("佳", "jia"),
    ("嘉", "jia"), ("诺", "nuo"), ("悦", "yue"), ("瑶", "yao"), ("琪", "qi"),
    ("婷", "ting"), ("雪", "xue"), ("鑫", "xin"), ("凯", "kai"), ("航", "hang"),
    ("鹏", "peng"), ("飞", "fei"), ("睿", "rui"), ("哲", "zhe"), ("毅", "yi"),
    ("昊", "hao"), ("钰", "yu"), ("萱", "xuan"), ("琳", "lin"), ("彤", "tong"),
    ("颖", "ying"), ("楠", "nan"), ("阳", "yang"), ("珊", "shan"), ("蕾", "lei"),
    ("俊", "jun"), ("帆", "fan"), ("泽", "ze"), ("晗", "han"), ("铭", "ming"),
    ("璐", "lu"), ("瑞", "rui"), ("宁", "ning"), ("雅", "ya"), ("婉", "wan"),
    ("峰", "feng"), ("辉", "hui"), ("岚", "lan"), ("蓉", "rong"), ("桐", "tong"),
    ("逸", "yi"), ("骁", "xiao"), ("晟", "sheng"), ("茜", "qian"), ("沁", "qin"),
]  # fmt: skip

HOMETOWNS = [
    "山西吕梁", "山西太原", "山西大同", "河北保定", "河北邯郸", "河南洛阳", "河南南阳",
    "山东潍坊", "山东临沂", "四川绵阳", "四川南充", "湖南岳阳", "湖南常德", "湖北宜昌",
    "江苏徐州", "浙江金华", "安徽阜阳", "安徽安庆", "江西赣州", "广东梅州", "广西桂林",
    "云南曲靖", "贵州遵义", "陕西宝鸡", "甘肃天水", "内蒙古包头", "黑龙江齐齐哈尔",
    "吉林四平", "辽宁鞍山", "福建泉州", "重庆万州", "新疆喀什", "宁夏固原", "青海海东",
    "海南儋州", "天津", "北京", "上海",
]  # fmt: skip

# (id, school, building, [(major, short)])
SCHOOLS = [
    ("math", "数学学院", "数学楼",
     [("数学与应用数学", "数学"), ("统计学", "统计"), ("信息与计算科学", "信计")]),
    ("cs", "计算机学院", "计算机楼",
     [("计算机科学与技术", "计算机"), ("软件工程", "软件"), ("人工智能", "智能")]),
    ("phys", "物理学院", "物理楼",
     [("物理学", "物理"), ("应用物理学", "应物"), ("光电信息科学与工程", "光电")]),
    ("chem", "化学化工学院", "化学楼",
     [("化学", "化学"), ("应用化学", "应化"), ("化学工程与工艺", "化工")]),
    ("foreign", "外国语学院", "外语楼",
     [("英语", "英语"), ("日语", "日语"), ("翻译", "翻译")]),
    ("econ", "经济管理学院", "经管楼",
     [("经济学", "经济"), ("会计学", "会计"), ("市场营销", "营销")]),
    ("lit", "文学院", "文科楼",
     [("汉语言文学", "汉语言"), ("汉语国际教育", "汉教"), ("秘书学", "秘书")]),
    ("law", "法学院", "法学楼",
     [("法学", "法学"), ("知识产权", "知产"), ("社会工作", "社工")]),
    ("bio", "生命科学学院", "生科楼",
     [("生物科学", "生科"), ("生物技术", "生技"), ("生态学", "生态")]),
    ("mech", "机械工程学院", "机械楼",
     [("机械设计制造及其自动化", "机设"), ("车辆工程", "车辆"), ("工业设计", "工设")]),
    ("ee", "电气工程学院", "电气楼",
     [("电气工程及其自动化", "电气"), ("自动化", "自动化"), ("电子信息工程", "电信")]),
    ("civil", "土木工程学院", "土木楼",
     [("土木工程", "土木"), ("建筑学", "建筑"), ("给排水科学与工程", "给排水")]),
    ("mat", "材料科学与工程学院", "材料楼",
     [("材料科学与工程", "材料"), ("高分子材料与工程", "高分子"), ("冶金工程", "冶金")]),
    ("env", "环境学院", "环境楼",
     [("环境工程", "环工"), ("环境科学", "环科"), ("安全工程", "安全")]),
    ("media", "新闻传播学院", "传媒楼",
     [("新闻学", "新闻"), ("广播电视学", "广电"), ("网络与新媒体", "新媒体")]),
    ("art", "艺术学院", "艺术楼",
     [("音乐学", "音乐"), ("美术学", "美术"), ("视觉传达设计", "视传")]),
    ("hist", "历史文化学院", "历史楼",
     [("历史学", "历史"), ("考古学", "考古"), ("旅游管理", "旅管")]),
    ("pe", "体育学院", "体育馆",
     [("体育教育", "体教"), ("运动训练", "运训"), ("社会体育指导与管理", "社体")]),
    ("med", "医学院", "医学楼",
     [("临床医学", "临床"), ("护理学", "护理"), ("药学", "药学")]),
    ("geo", "地理科学学院", "地科楼",
     [("地理科学", "地科"), ("地理信息科学", "地信"), ("人文地理与城乡规划", "人地")]),
    ("edu", "教育科学学院", "教科楼",
     [("教育学", "教育"), ("应用心理学", "心理"), ("学前教育", "学前")]),
    ("marx", "马克思主义学院", "思政楼",
     [("思想政治教育", "思政"), ("哲学", "哲学"), ("政治学与行政学", "政治")]),
    ("agri", "农学院", "农学楼",
     [("农学", "农学"), ("园艺", "园艺"), ("植物保护", "植保")]),
    ("ie", "信息工程学院", "信息楼",
     [("通信工程", "通信"), ("物联网工程", "物联网"), ("数据科学与大数据技术", "数据")]),
]  # fmt: skip

CAMPUSES = [
    ("east", "东校区"), ("west", "西校区"), ("south", "南校区"), ("north", "北校区"),
    ("bj", "滨江校区"), ("xc", "新城校区"), ("hs", "湖山校区"), ("yq", "雁栖校区"),
]  # fmt: skip
BUILDING_PREFIX = [("n", "北"), ("s", "南"), ("e", "东"), ("w", "西")]

SCHOOL_TITLES = [  # (title, appointment label)
    ("校团委书记", "专职"), ("校团委副书记", "专职"), ("校团委副书记", "兼职"),
    ("校团委组织部部长", "专职"), ("校团委宣传部部长", "专职"), ("校团委社会实践部部长", "专职"),
    ("校团委志愿服务部部长", "兼职"), ("校团委学生会指导教师", "兼职"),
    ("校团委副书记（挂职）", "挂职"),
]  # fmt: skip
DEPT_TITLES = [
    ("{school}分团委书记", "专职"), ("{school}分团委副书记", "兼职"), ("{school}辅导员", "专职"),
    ("{school}分团委组织委员", "兼职"), ("{school}分团委副书记（挂职）", "挂职"),
]  # fmt: skip
DUTIES = ["组织建设", "宣传思想", "志愿服务", "社会实践", "学生会指导", "创新创业", "团员发展"]

INTRO_OPEN = [
    "大家好，我是{name}，现任{title}。",
    "同学们好！我是{title}{name}。",
    "你好呀，我是{name}，在{where}工作。",
]
INTRO_MIDDLE = [
    "平时喜欢跑步和摄影，周末常在操场跑上几圈。",
    "读书时我也在团支部当过宣传委员，很理解大家在学业和生活上的忙碌。",
    "我主要负责{duty}工作，希望和大家一起把团组织建设得更有活力。",
    "工作之余喜欢读历史书和打羽毛球，欢迎约球。",
    "刚参加工作时我做过辅导员，和同学们聊天一直是我最喜欢的工作。",
    "我相信每个人的青春都值得被认真倾听。",
]
INTRO_INVITE = [
    "学习、生活上遇到困惑，或者对学院工作有什么想法，都欢迎随时找我聊聊。",
    "有任何问题都可以**微信留言**，我看到后会尽快回复。",
    "每周二、周四下午一般都在办公室，欢迎来坐坐。",
    "不管是选课、考研还是找实习，都可以来问我，**找不到答案我们一起找**。",
]
INTRO_CLOSE = ["期待认识更多的你！", "一起加油，**青春正当时**！"]

# Note templates: (kind, slug, title, channels, paragraphs, can_be_public, problem_chance)
# {units}: names of the units concerned; {n}: number of youth.
ONLINE = "线上互动"
REGULAR_NOTES = [
    (ONLINE, "wechat-course-qa", "微信群选课答疑", ["微信"],
     ["在{units}的微信群里集中回答了选课、学分认定和辅修的问题，约 {n} 名同学参与讨论。",
      "几个共性问题整理成了问答清单，发在群公告里方便大家查看。"], True, 0.25),
    (ONLINE, "qq-career-info", "QQ群分享实习就业信息", ["QQ"],
     ["在{units}的 QQ 群分享了本月的实习和招聘信息，提醒大家注意甄别虚假招聘。",
      "有 {n} 名同学私信咨询简历和面试准备，已逐一回复。"], False, 0.3),
    (ONLINE, "youth-voice-reply", "青年之声留言回复", ["青年之声"],
     ["集中回复了青年之声平台上的留言，内容涉及奖学金评定、宿舍调整和社团活动。",
      "暂时答复不了的问题已登记，联系相关部门后再回复。"], False, 0.45),
    (ONLINE, "weibo-topic", "微博青春话题互动", ["微博"],
     ["发起了“我的大学一件小事”微博话题，{units}的同学踊跃留言。",
      "大家分享的故事很真实，也让我更了解同学们的日常。"], True, 0.1),
    (ONLINE, "exam-week-qa", "考试周前线上答疑", ["微信", "QQ"],
     ["考试周前在线上为{units}的同学答疑，重点讲了缓考申请流程和考场纪律。",
      "提醒大家合理安排复习时间，注意休息。"], False, 0.2),
    ("线下活动", "dorm-visit", "宿舍走访", [],
     ["走访了{units}，和 {n} 名同学聊了学习进度、作息和宿舍关系。",
      "大家普遍反映期中前后压力较大，已提醒团支部安排学习互助小组。"], True, 0.45),
    ("线下活动", "basketball-match", "篮球友谊赛", [],
     ["和{units}的同学打了一场篮球友谊赛，场上配合越来越默契。",
      "赛后大家一起聊了聊最近的学习和生活，气氛轻松。"], True, 0.1),
    ("线下活动", "book-sharing", "读书分享会", [],
     ["组织{units}的同学开展读书分享会，{n} 名同学分享了最近读的书。",
      "下次准备请学院老师来推荐专业书目。"], True, 0.15),
    ("调研", "study-stress-survey", "学业压力问卷调研", [],
     ["面向{units}开展学业压力问卷调研，回收有效问卷 {n} 份。",
      "数据显示高年级同学对升学和就业的焦虑更明显，结果已反馈学院。"], False, 0.6),
    ("调研", "dorm-conditions-survey", "宿舍生活条件调研", [],
     ["到{units}实地了解宿舍生活条件，查看了热水、网络和洗衣房的使用情况。",
      "同学们提出的问题已逐条记录。"], False, 0.75),
    ("座谈会", "freshman-symposium", "新生适应座谈会", [],
     ["与{units}的新同学座谈，听大家讲入学以来的适应情况。",
      "{n} 名同学发言，话题集中在学习方法、人际交往和想家。"], True, 0.5),
    ("座谈会", "career-symposium", "考研与就业经验交流会", [],
     ["邀请已毕业的学长学姐回校，与{units}的同学交流考研和就业经验。",
      "现场答疑一个多小时，同学们收获很大。"], True, 0.45),
    ("主题团日", "league-day-visit", "团支部主题团日观摩", [],
     ["观摩了{units}的主题团日活动，团支部书记组织得很用心。",
      "活动后和团支部委员们交流了下一阶段的工作计划。"], True, 0.2),
    ("志愿服务", "community-tutoring", "社区义务辅导志愿服务", [],
     ["带领{units}的志愿者到附近社区为小学生义务辅导作业。",
      "孩子们很喜欢这些大哥哥大姐姐，社区也希望长期合作。"], True, 0.05),
    ("志愿服务", "library-volunteer", "图书馆图书整理志愿服务", [],
     ["组织{units}的同学到图书馆参加图书整理志愿服务，{n} 名同学参加。",
      "大家顺便熟悉了馆藏分布，收获不少。"], True, 0.1),
    ("办实事", "hot-water-help", "协调解决宿舍热水问题", [],
     ["{units}的同学反映热水时有时无，联系后勤处上门检修。",
      "检修后热水供应恢复正常，会继续跟踪一周。"], True, 0.5),
    ("办实事", "work-study-help", "帮助同学申请勤工助学岗位", [],
     ["了解到有同学家庭经济困难，帮助其了解勤工助学岗位和申请流程。",
      "已和学生工作处沟通，尽快安排合适岗位。"], False, 0.5),
    ("思想引领", "youth-study-talk", "青年大学习专题交流", [],
     ["与{units}的同学围绕青年大学习最新一期内容开展交流。",
      "大家结合专业学习谈体会，讨论很热烈。"], True, 0.15),
    ("思想引领", "league-lecture", "团课“青年的责任与担当”", [],
     ["为{units}讲了一堂团课，主题是青年的责任与担当。",
      "课后 {n} 名同学留下来继续交流，有同学问到入党的流程。"], True, 0.3),
    ("线下活动", "heart-to-heart", "谈心谈话", [],
     ["和几位同学分别谈心，了解近期的学习和生活状态。",
      "有同学提到对未来方向感到迷茫，约好下个月再聊。"], False, 0.6),
]  # fmt: skip

CAMPAIGN_NOTES = {
    "may4": [
        ("座谈会", "may4-symposium", "五四青年节座谈会", [],
         ["五四青年节前夕，与{units}的同学座谈，{n} 名同学畅谈青春理想。",
          "大家谈到对专业前景的思考，也对学院工作提了建议。"], True, 0.6),
        ("主题团日", "may4-league-day", "五四主题团日“青春心向党”", [],
         ["指导{units}开展五四主题团日，重温入团誓词。",
          "同学们分享了身边优秀青年的故事，活动很有感染力。"], True, 0.2),
        ("思想引领", "may4-sharing", "五四优秀团员事迹分享会", [],
         ["组织{units}的同学学习优秀团员事迹，{n} 名同学参加。",
          "大家表示要向身边的榜样学习。"], True, 0.15),
    ],
    "national_day": [
        ("主题团日", "national-day-league-day", "喜迎国庆主题团日", [],
         ["国庆前夕，参加{units}的喜迎国庆主题团日，同学们合唱了《我和我的祖国》。",
          "活动后和团支部委员交流了新学期的计划。"], True, 0.2),
        ("线下活动", "national-day-visit", "国庆假期留校同学走访", [],
         ["国庆假期走访{units}的留校同学，了解假期生活和学习安排。",
          "为留校同学送去了月饼和水果。"], True, 0.5),
        ("志愿服务", "national-day-volunteer", "国庆期间校园志愿服务", [],
         ["带领{units}的同学参加国庆期间校园引导志愿服务，{n} 名同学报名。",
          "志愿者们热情周到，得到来访家长的称赞。"], True, 0.1),
    ],
    "dec9": [
        ("思想引领", "dec9-education", "纪念一二·九运动主题教育", [],
         ["组织{units}的同学开展纪念一二·九运动主题教育，回顾青年学生的爱国传统。",
          "{n} 名同学参加，讨论了新时代青年的使命。"], True, 0.3),
        ("线下活动", "dec9-run", "一二·九爱国长跑", [],
         ["和{units}的同学一起参加一二·九爱国长跑。",
          "寒风中大家互相鼓劲，全部跑完了全程。"], True, 0.1),
        ("座谈会", "dec9-symposium", "一二·九青年座谈会", [],
         ["围绕一二·九精神与{units}的同学座谈，{n} 名同学发言。",
          "大家谈到学业压力和就业选择，会后整理了问题清单。"], True, 0.6),
    ],
}

CAMPAIGN_FALLBACK = [  # campaigns added to site_config.yml by a deployment
    ("主题团日", "campaign-league-day", "{name}主题团日", [],
     ["结合{name}集中活动，指导{units}开展主题团日，{n} 名同学参加。",
      "活动后收集了同学们的意见建议。"], True, 0.3),
]

FOLLOW_UPS = [
    "**下一步打算**\n\n- 两周后回访参与的同学\n- 把大家提出的问题整理后反馈给学院",
    "**后续跟进**\n\n- 在团支部群里公布处理进展\n- 下次活动请更多同学参加",
    "**小结**\n\n同学们的想法很多，**及时回应**是最重要的。",
]
PROBLEM_NOTE = "同学们反映的问题已记入问题清单，会持续跟进。"

# (category, summary, department or None, weight): the heavy ones are raised by many
# cadres, so the internal 问题清单 has common issues to flag for forwarding.
PROBLEMS = [
    ("实际困难", "宿舍热水供应不稳定", "后勤处", 6),
    ("实际困难", "图书馆自习座位紧张", "图书馆", 5),
    ("实际困难", "校园网晚间经常断线", "信息化中心", 4),
    ("实际困难", "家庭经济困难需要勤工助学岗位", "学生工作处", 2),
    ("实际困难", "实验室开放时间太短", "教务处", 1),
    ("实际困难", "宿舍楼洗衣机数量不足", "后勤处", 1),
    ("意见建议", "建议食堂延长晚餐供应时间", "后勤处", 4),
    ("意见建议", "建议增加校园夜间照明", "保卫处", 1),
    ("意见建议", "希望开设更多第二课堂讲座", "校团委", 1),
    ("意见建议", "建议优化选课系统", "教务处", 2),
    ("意见建议", "建议团日活动形式更加多样", None, 1),
    ("思想困惑", "对考研还是就业感到迷茫", "就业指导中心", 4),
    ("思想困惑", "担心专业就业前景", "就业指导中心", 2),
    ("思想困惑", "不清楚入党申请流程", "学院党委", 2),
    ("思想困惑", "学业压力大，缺乏学习动力", "心理健康教育中心", 2),
]  # fmt: skip
LOCAL_PROBLEMS = [  # {dorm} {branch} {major} {school}: one cadre's own units
    ("实际困难", "{dorm}宿舍门锁损坏", "后勤处"),
    ("实际困难", "{dorm}宿舍空调漏水", "后勤处"),
    ("实际困难", "{major}专业课教材到货晚", "教务处"),
    ("意见建议", "希望{school}自习室周末开放", "{school}"),
    ("意见建议", "建议{branch}成立学业互助小组", None),
    ("思想困惑", "{major}专业同学对保研政策有疑问", "{school}"),
    ("思想困惑", "{major}专业低年级同学对专业方向感到迷茫", None),
]
CATEGORIES = ["思想困惑", "实际困难", "意见建议"]
STATUSES = ["待处理", "已转交", "已解决"]
PARTICIPANTS = {  # kind → (min, max) participants listed
    "线上互动": (3, 12), "线下活动": (4, 14), "调研": (8, 20), "座谈会": (6, 15),
    "主题团日": (6, 18), "志愿服务": (4, 12), "办实事": (1, 3), "思想引领": (6, 18),
}  # fmt: skip
REGULAR_WEIGHTS = [5, 3, 2, 2, 3, 4, 2, 2, 2, 2, 2, 2, 3, 2, 2, 2, 2, 3, 2, 3]

PALETTE = [((46, 94, 170), (205, 222, 245)), ((196, 72, 60), (250, 220, 210)),
           ((40, 140, 110), (210, 240, 228)), ((120, 86, 170), (228, 216, 245)),
           ((214, 140, 40), (252, 236, 205)), ((70, 80, 96), (220, 224, 232))]  # fmt: skip


# fmt: on


# --- model of the generated world -----------------------------------------------------------


@dataclass(eq=False)
class Person:
    sid: str
    name: str | None
    committee: str
    branch: str | None
    major: str
    grade: int
    political: str
    family: str
    hometown: str | None
    dorm: str | None
    count: int = 0  # cadres listing this person as current at ``today``


@dataclass(eq=False)
class Branch:
    id: str
    name: str
    committee: str
    major: str
    short: str
    grade: int
    digit: int
    pool: list[Person] = field(default_factory=list)


@dataclass(eq=False)
class Dorm:
    id: str
    name: str
    committee: str
    branch: str | None
    residents: list[Person] = field(default_factory=list)


@dataclass(eq=False)
class Committee:
    id: str
    name: str
    school: str
    building: str
    majors: list[tuple[str, str]]
    num: int
    branches: list[Branch] = field(default_factory=list)
    dorms: list[Dorm] = field(default_factory=list)
    loose: list[Person] = field(default_factory=list)  # youth given by major + grade


@dataclass
class Entry:
    person: Person
    since: dt.date
    until: dt.date | None = None

    def current(self, day: dt.date) -> bool:
        return self.since <= day and (self.until is None or day < self.until)


@dataclass
class Note:
    date: dt.date
    slug: str
    title: str
    kind: str
    channel: str | None
    units: list[str]
    youth: list[str]
    public: bool
    problems: list[dict[str, str]]
    body: str


@dataclass(eq=False)
class Cadre:
    id: str
    name: str
    level: str
    appointment: str
    title: str
    committee: Committee | None
    since: dt.date
    grace: bool = False
    target: int = 100
    github: str | None = None
    contact: dict[str, str] = field(default_factory=dict)
    intro: str = ""
    photo: str | None = None
    unit_committees: list[Committee] = field(default_factory=list)
    unit_branches: list[Branch] = field(default_factory=list)
    unit_dorms: list[Dorm] = field(default_factory=list)
    entries: list[Entry] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)


# --- YAML text helpers ----------------------------------------------------------------------

_PLAIN_OK = re.compile(r"^[^\s\-?:,\[\]{}#&*!|>'\"%@`][^\n]*$")
_YAML_WORDS = {"y", "n", "yes", "no", "on", "off", "true", "false", "null", "~"}


def scalar(text: str) -> str:
    """``text`` as a plain YAML scalar when that is unambiguous, else double-quoted."""
    if (
        _PLAIN_OK.match(text)
        and ": " not in text
        and " #" not in text
        and not text.endswith((" ", ":"))
        and text.lower() not in _YAML_WORDS
        and not re.match(r"^[+.\d]", text)
    ):
        return text
    return quoted(text)


def quoted(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def flow(items: list[str]) -> str:
    return "[" + ", ".join(items) + "]"


def schema_line(name: str) -> str:
    return f"# yaml-language-server: $schema={SCHEMA_DIR_FROM_DATA}/{name}"


# --- the generator --------------------------------------------------------------------------


class _World:
    def __init__(self, config: SiteConfig, seed: int, today: dt.date, sample: bool, n: int):
        self.cfg = config
        self.rng = random.Random(seed)
        self.today = today
        self.sample = sample
        self.n = n
        self.cap = config.max_cadres_per_youth
        self.quota = {lv.label: q for lv, q in config.quotas.items()}
        self.need_dorms = max(q.dorm_groups for q in config.quotas.values())
        self.ay = today.year if (today.month, today.day) >= (9, 15) else today.year - 1
        self.grades = [self.ay - 3, self.ay - 2, self.ay - 1, self.ay]
        self.committees: list[Committee] = []
        self.cadres: list[Cadre] = []
        self.forbidden: set[str] = set()  # n-grams of public text; youth names avoid them
        self.youth_names: set[str] = set()
        self.seq: dict[tuple[str, int, int], int] = {}
        self.sid_width = 2
        self.problem_count = 0

    # organisation -------------------------------------------------------------------------

    def build_org(self, count: int) -> None:
        rng = self.rng
        self.sid_width = 2 if count <= 99 else 3
        for i in range(count):
            sid, school, building, majors = SCHOOLS[i % len(SCHOOLS)]
            campus = i // len(SCHOOLS)
            if campus == 0:
                cid, cname = sid, f"{school}分团委"
            elif campus <= len(CAMPUSES):
                key, label = CAMPUSES[campus - 1]
                cid, cname = f"{sid}-{key}", f"{label}{school}分团委"
            else:
                cid, cname = f"{sid}-{campus}", f"第{campus}校区{school}分团委"
            com = Committee(cid, cname, school, building, list(majors), i + 1)
            rot = rng.randrange(len(majors))
            n_branches = 4 if rng.random() < 0.6 else 5
            per_grade: dict[int, int] = {}
            for k in range(n_branches):
                major, short = majors[(k + rot) % len(majors)]
                grade = self.grades[k % len(self.grades)]
                per_grade[grade] = per_grade.get(grade, 0) + 1
                cls = per_grade[grade]
                com.branches.append(
                    Branch(
                        f"{cid}-{grade}-{cls}",
                        f"{short}{grade}级{cls}班团支部",
                        cid,
                        major,
                        short,
                        grade,
                        k + 1,
                    )
                )
            letter, prefix = BUILDING_PREFIX[i % len(BUILDING_PREFIX)]
            number = i // len(BUILDING_PREFIX) + 1
            n_dorms = self.need_dorms + rng.randint(0, 2)
            rooms = sorted(
                rng.sample([f"{f}{r:02d}" for f in range(1, 7) for r in range(1, 31)], n_dorms)
            )
            owners: list[Branch | None] = [None, None] + [
                com.branches[j % n_branches] for j in range(n_dorms - 2)
            ]
            rng.shuffle(owners)
            for room, owner in zip(rooms, owners, strict=True):
                com.dorms.append(
                    Dorm(
                        f"{letter}{number}-{room}",
                        f"{prefix}{number}-{room}",
                        cid,
                        owner.id if owner else None,
                    )
                )
            self.committees.append(com)

    # cadres -------------------------------------------------------------------------------

    def plan_cadres(self) -> None:
        rng, today = self.rng, self.today
        if self.sample:
            levels = ["校级"] * 4 + ["系级"] * 10
            dept_committees = [0, 0, 1, 1, 2, 2, 3, 3, 4, 5]
            grace = {7: (60, 6, 140), 9: (35, 4, 75)}  # index → (youth, dorms, days ago)
            no_consent = {11}
            photos = {0, 2, 4, 6, 8, 10, 12}
            no_github = {9, 13}
            no_intro = {11, 13}
        else:
            n = self.n
            n_school = round(n * 0.2)
            levels = ["校级"] * n_school + ["系级"] * (n - n_school)
            order = list(range(len(self.committees)))
            rng.shuffle(order)
            dept_committees = [order[j % len(order)] for j in range(n - n_school)]
            dept_idx = list(range(n_school, n))
            grace = {}
            days = self.cfg.grace_days
            n_grace = round(n * 0.05) if days >= 60 else 0  # below quota only inside grace
            for i in sorted(rng.sample(dept_idx, n_grace)):
                ago = rng.randint(days // 4, days * 3 // 4)
                frac = ago / days
                q = self.quota["系级"]
                grace[i] = (
                    max(8, int(q.youth * (0.1 + 0.7 * frac))),
                    max(2, int(q.dorm_groups * (0.2 + 0.6 * frac))),
                    ago,
                )
            no_consent = set(rng.sample(range(n), round(n * 0.03)))
            photos = set()
            no_github = {i for i in range(n) if rng.random() < 0.15}
            no_intro = {i for i in range(n) if rng.random() < 0.4}

        used_names: set[str] = set()
        used_ids: set[str] = set()
        used_logins: set[str] = set(self.cfg.admins)
        used_wechat: set[str] = set()
        titles_school = list(SCHOOL_TITLES)
        for i, level in enumerate(levels):
            name, sur_py, given_py = self._cadre_name(used_names)
            cid = f"{sur_py}-{''.join(given_py)}"
            k = 2
            while cid in used_ids:
                cid = f"{sur_py}-{''.join(given_py)}-{k}"
                k += 1
            used_ids.add(cid)
            if level == "校级":
                title, appointment = titles_school[i % len(titles_school)]
                committee = None
            else:
                committee = self.committees[dept_committees[i - levels.index("系级")]]
                tmpl, appointment = rng.choice(DEPT_TITLES)
                title = tmpl.format(school=committee.school)
            if i in grace:
                since = today - dt.timedelta(days=grace[i][2])
                if (today - since.replace(day=1)).days < self.cfg.grace_days:
                    since = since.replace(day=1)
            else:
                since = (today - dt.timedelta(days=rng.randint(200, 1000))).replace(day=1)
            c = Cadre(cid, name, level, appointment, title, committee, since)
            if i in grace:
                c.grace, c.target = True, grace[i][0]
            else:
                c.target = self.quota[level].youth + rng.randint(2, 14)
            if i not in no_github:
                c.github = self._login(sur_py, given_py, used_logins)
            c.contact = self._contact(c, sur_py, given_py, used_wechat, consent=i not in no_consent)
            if i not in no_intro:
                c.intro = self._intro(c)
            if i in photos:
                c.photo = f"{cid}.{'jpg' if len(self.cadres) % 4 in (0, 1) else 'png'}"
            self._choose_units(c, grace[i][1] if i in grace else None)
            self.cadres.append(c)

    def _cadre_name(self, used: set[str]) -> tuple[str, str, list[str]]:
        rng = self.rng
        while True:
            sur, sur_py = rng.choice(SURNAMES)
            chars = [rng.choice(GIVEN) for _ in range(2 if rng.random() < 0.75 else 1)]
            name = sur + "".join(ch for ch, _ in chars)
            if name not in used and len({ch for ch, _ in chars}) == len(chars):
                used.add(name)
                return name, sur_py, [py for _, py in chars]

    def _login(self, sur: str, given: list[str], used: set[str]) -> str:
        rng = self.rng
        initials = "".join(g[0] for g in given)
        options = [f"{sur}{''.join(given)}", f"{''.join(given)}-{sur}", f"{sur}{initials}-ql",
                   f"ql-{sur}{initials}"]  # fmt: skip
        login = rng.choice(options)
        while login in used:
            login = f"{rng.choice(options)}{rng.randint(2, 99)}"
        used.add(login)
        return login

    def _contact(
        self, c: Cadre, sur: str, given: list[str], used_wechat: set[str], consent: bool
    ) -> dict[str, str]:
        rng = self.rng
        initials = "".join(g[0] for g in given)
        out: dict[str, str] = {}
        if consent:
            out["consent_on"] = min(
                c.since + dt.timedelta(days=rng.randint(0, 40)), self.today
            ).isoformat()
        channels = {"phone", "email", "wechat", "qq", "weibo"}
        keep = {ch for ch in sorted(channels) if rng.random() < 0.7} or {"wechat"}
        if "phone" in keep:
            if rng.random() < 0.6:
                phone = f"0358-338{rng.randint(0, 9999):04d}"
            else:
                phone = f"1{rng.choice('3578')}{rng.randint(0, 10**9 - 1):09d}"
            out["phone"] = phone
        if "email" in keep:
            out["email"] = f"{initials}.{sur}{rng.randint(1, 99)}@qinglan.example.edu.cn"
        if "wechat" in keep:
            wx = f"{sur}{initials}_{rng.choice(['tw', 'qn', 'ql'])}"
            while wx in used_wechat or len(wx) < 6:
                wx = f"{sur}{initials}_{rng.randint(10, 9999)}"
            used_wechat.add(wx)
            out["wechat"] = wx
        if "qq" in keep:
            out["qq"] = str(rng.randint(10**7, 10**10 - 1))
        if "weibo" in keep:
            out["weibo"] = f"https://weibo.com/u/{rng.randint(10**9, 10**10 - 1)}"
        if c.level == "校级":
            out["office"] = f"行政楼 {rng.choice([2, 3, 4])}{rng.randint(1, 20):02d}"
        else:
            assert c.committee is not None
            out["office"] = f"{c.committee.building} {rng.randint(1, 5)}{rng.randint(1, 20):02d}"
        return out

    def _intro(self, c: Cadre) -> str:
        rng = self.rng
        where = "校团委" if c.level == "校级" else f"{c.committee.school}"  # type: ignore[union-attr]
        parts = [rng.choice(INTRO_OPEN).format(name=c.name, title=c.title, where=where),
                 rng.choice(INTRO_MIDDLE).format(duty=rng.choice(DUTIES)),
                 rng.choice(INTRO_INVITE)]  # fmt: skip
        if rng.random() < 0.5:
            parts.append(rng.choice(INTRO_CLOSE))
        return "".join(parts)

    def _choose_units(self, c: Cadre, grace_dorms: int | None) -> None:
        rng = self.rng
        if c.level == "系级":
            assert c.committee is not None
            com = c.committee
            if grace_dorms is None:
                c.unit_branches = list(com.branches)
                avail = list(com.dorms)
                want = rng.randint(self.quota["系级"].dorm_groups, len(avail))
            else:
                # the first three branches have three majors and three grades
                c.unit_branches = list(com.branches[:3])
                ids = {b.id for b in c.unit_branches}
                avail = [d for d in com.dorms if d.branch is None or d.branch in ids]
                want = min(grace_dorms, len(avail))
            c.unit_dorms = sorted(rng.sample(avail, want), key=lambda d: d.id)
            return
        q = self.quota["校级"]
        n_com = max(q.committees, 3) + (1 if rng.random() < 0.25 else 0)
        n_com = min(n_com, len(self.committees))
        div = self.cfg.diversity
        for _attempt in range(50):
            coms = sorted(rng.sample(self.committees, n_com), key=lambda x: x.num)
            branches: list[Branch] = []
            for com in coms:
                pairs = [
                    (a, b)
                    for a in com.branches
                    for b in com.branches
                    if a.digit < b.digit and a.major != b.major and a.grade != b.grade
                ]
                branches.extend(rng.choice(pairs))
            if (
                len({b.major for b in branches}) >= div.majors
                and len({b.grade for b in branches}) >= div.grades
            ):
                break
        ids = {b.id for b in branches}
        avail = {com.id: [d for d in com.dorms if d.branch is None or d.branch in ids]
                 for com in coms}  # fmt: skip
        for lst in avail.values():
            rng.shuffle(lst)
        want = q.dorm_groups + rng.randint(0, 3)
        dorms: list[Dorm] = []
        while len(dorms) < want and any(avail.values()):
            for com in coms:
                if avail[com.id] and len(dorms) < want:
                    dorms.append(avail[com.id].pop())
        c.unit_committees = coms
        c.unit_branches = sorted(branches, key=lambda b: b.id)
        c.unit_dorms = sorted(dorms, key=lambda d: d.id)

    # youth --------------------------------------------------------------------------------

    def build_forbidden(self) -> None:
        texts: list[str] = []
        for com in self.committees:
            texts.append(com.name)
            texts += [b.name for b in com.branches] + [d.name for d in com.dorms]
        for c in self.cadres:
            texts += [c.name, c.title, c.intro, c.contact.get("office", "")]
        texts += INTRO_OPEN + INTRO_MIDDLE + INTRO_INVITE + INTRO_CLOSE + FOLLOW_UPS
        texts.append(PROBLEM_NOTE)
        for tmpl in (
            REGULAR_NOTES + CAMPAIGN_FALLBACK + [t for ts in CAMPAIGN_NOTES.values() for t in ts]
        ):
            texts.append(tmpl[2])
            texts += tmpl[4]
        texts += [p[1] for p in PROBLEMS] + [c.name for c in self.cfg.campaigns]
        for text in texts:
            for size in (2, 3):
                for i in range(len(text) - size + 1):
                    self.forbidden.add(text[i : i + size])

    def _youth_name(self) -> str:
        rng = self.rng
        while True:
            sur = rng.choice(SURNAMES)[0]
            given = rng.choice(GIVEN)[0]
            if rng.random() < 0.7:
                given += rng.choice(GIVEN)[0]
            name = sur + given
            if name not in self.forbidden:
                self.youth_names.add(name)
                return name

    def _mint(self, com: Committee, branch: Branch | None, dorm: Dorm | None = None) -> Person:
        rng = self.rng
        if branch is not None:
            major, grade, digit = branch.major, branch.grade, branch.digit
        else:
            major, grade, digit = rng.choice(com.majors)[0], rng.choice(self.grades), 0
        key = (com.id, digit, grade)
        self.seq[key] = self.seq.get(key, 0) + 1
        sid = f"{grade}{com.num:0{self.sid_width}d}{digit}{self.seq[key]:03d}"
        seniority = self.ay - grade
        political = rng.choices(
            ["中共党员", "中共预备党员", "共青团员", "群众"],
            [1 + 3 * seniority, 2 + 2 * seniority, 80, 9],
        )[0]
        cats = list(self.cfg.family_categories)
        weights = [50, 32, 12, 6][: len(cats)] + [5] * max(0, len(cats) - 4)
        family = rng.choices(cats, weights)[0]
        person = Person(
            sid=sid,
            name=self._youth_name() if rng.random() < (0.8 if self.sample else 0.7) else None,
            committee=com.id,
            branch=branch.id if branch else None,
            major=major,
            grade=grade,
            political=political,
            family=family,
            hometown=rng.choice(HOMETOWNS) if rng.random() < 0.5 else None,
            dorm=dorm.id if dorm else None,
        )
        if branch is not None:
            branch.pool.append(person)
        else:
            com.loose.append(person)
        if dorm is not None:
            dorm.residents.append(person)
        return person

    def _since(self, c: Cadre, p: Person, hi: dt.date) -> dt.date:
        lo = max(c.since, dt.date(p.grade, 9, 5))
        if lo >= hi:
            return hi
        span = (hi - lo).days
        r = self.rng.random()
        return lo + dt.timedelta(days=int(span * (r if c.grace else r**1.6)))

    def assign_youth(self) -> None:
        rng, today = self.rng, self.today
        coms = {com.id: com for com in self.committees}
        branch_by_id = {b.id: b for com in self.committees for b in com.branches}
        for c in self.cadres:
            chosen: list[Person] = []
            taken: set[str] = set()
            unit_b = {b.id for b in c.unit_branches}
            unit_d = {d.id for d in c.unit_dorms}

            def ok(
                p: Person,
                unit_b: set[str] = unit_b,
                unit_d: set[str] = unit_d,
                taken: set[str] = taken,
            ) -> bool:
                return (
                    p.count < self.cap
                    and p.sid not in taken
                    and p.branch in unit_b
                    and (p.dorm is None or p.dorm in unit_d)
                )

            def take(p: Person, chosen: list[Person] = chosen, taken: set[str] = taken) -> None:
                chosen.append(p)
                taken.add(p.sid)
                p.count += 1

            # 1. at least one current youth in every dorm group served
            for d in c.unit_dorms:
                if len(chosen) >= c.target:
                    break
                cands = [p for p in d.residents if ok(p)]
                if cands and (len(d.residents) >= 6 or rng.random() < 0.6):
                    take(rng.choice(cands))
                else:  # a new resident (the room's earlier ones are all taken)
                    if d.branch is not None:
                        owner = branch_by_id[d.branch]
                    else:
                        owner = rng.choice(
                            [b for b in c.unit_branches if b.committee == d.committee]
                        )
                    take(self._mint(coms[d.committee], owner, d))
            # 2. the rest spread over the branches served, plus a few youth given by
            #    major + grade (no branch)
            remaining = max(0, c.target - len(chosen))
            loose_n = round(remaining * 0.08)
            branches = list(c.unit_branches)
            split = _split(remaining - loose_n, len(branches))
            for b, k in zip(branches, split, strict=True):
                cands = [p for p in b.pool if ok(p)]
                reuse = min(len(cands), round(k * 0.45))
                for p in rng.sample(cands, reuse):
                    take(p)
                com = coms[b.committee]
                homes = [
                    d
                    for d in c.unit_dorms
                    if d.branch == b.id or (d.branch is None and d.committee == b.committee)
                ]
                for _ in range(k - reuse):
                    home = None
                    if homes and rng.random() < 0.25:
                        home = rng.choice(homes)
                        if len(home.residents) >= 6:
                            home = None
                    take(self._mint(com, b, home))
            own = c.unit_committees or [c.committee]
            for com, k in zip(own, _split(loose_n, len(own)), strict=True):
                assert com is not None
                cands = [p for p in com.loose if p.count < self.cap and p.sid not in taken]
                reuse = min(len(cands), round(k * 0.45))
                for p in rng.sample(cands, reuse):
                    take(p)
                for _ in range(k - reuse):
                    take(self._mint(com, None))
            entries = [Entry(p, self._since(c, p, today - dt.timedelta(days=1))) for p in chosen]
            # 3. history: contacts that ended (kept, not deleted)
            if not c.grace:
                for _ in range(rng.randint(2, 5)):
                    b = rng.choice(branches)
                    cands = [
                        p
                        for p in b.pool
                        if p.sid not in taken and (p.dorm is None or p.dorm in unit_d)
                    ]
                    p = (
                        rng.choice(cands)
                        if cands and rng.random() < 0.5
                        else self._mint(coms[b.committee], b)
                    )
                    lo = max(c.since, dt.date(p.grade, 9, 5))
                    last = today - dt.timedelta(days=10)
                    if (last - lo).days < 60:
                        continue
                    since = lo + dt.timedelta(days=rng.randint(0, (last - lo).days - 40))
                    until = since + dt.timedelta(days=rng.randint(30, (last - since).days))
                    taken.add(p.sid)
                    entries.append(Entry(p, since, until))
            entries.sort(key=lambda e: (e.since, e.person.sid))
            c.entries = entries

    # notes --------------------------------------------------------------------------------

    def make_notes(self) -> None:
        for c in self.cadres:
            self._notes_of(c)

    def _notes_of(self, c: Cadre) -> None:
        rng, today = self.rng, self.today
        start = max(c.since, today - dt.timedelta(days=425))
        step = (20, 42) if self.sample else (12, 32)
        plan: list[tuple[dt.date, str | None]] = []
        day = today - dt.timedelta(days=rng.randint(0, 20))
        while day >= start:
            plan.append((day, None))
            day -= dt.timedelta(days=rng.randint(*step))
        if not plan:
            plan.append((max(c.since, today - dt.timedelta(days=1)), None))
        for year in range(c.since.year - 1, today.year + 1):
            for camp in self.cfg.campaigns:
                s, e = camp.window(year)
                if e < today and e >= c.since:
                    lo = max(s, c.since)
                    plan.append((lo + dt.timedelta(days=rng.randint(0, (e - lo).days)), camp.key))
        plan.sort(key=lambda x: (x[0], x[1] or ""))
        used: set[str] = set()
        for day, camp_key in plan:
            if camp_key is None:
                camp_key = self._campaign_at(day) if rng.random() < 0.5 else None
            # within one campaign window, vary the kind of activity
            recent = {n.slug.split("-2")[0] for n in c.notes if (day - n.date).days < 60}
            note = self._note(c, day, camp_key, avoid=recent)
            slug, k = note.slug, 2
            while f"{day}-{slug}" in used:
                slug = f"{note.slug}-{k}"
                k += 1
            note.slug = slug
            used.add(f"{day}-{slug}")
            c.notes.append(note)

    def _campaign_at(self, day: dt.date) -> str | None:
        for camp in self.cfg.campaigns:
            for year in (day.year - 1, day.year):
                s, e = camp.window(year)
                if s <= day <= e:
                    return camp.key
        return None

    def _note(self, c: Cadre, day: dt.date, camp_key: str | None, avoid: set[str]) -> Note:
        rng = self.rng
        if camp_key is None:
            tmpl = rng.choices(REGULAR_NOTES, REGULAR_WEIGHTS)[0]
            if tmpl[1] in avoid:
                tmpl = rng.choices(REGULAR_NOTES, REGULAR_WEIGHTS)[0]
            camp_name = ""
        else:
            camp_name = next(x.name for x in self.cfg.campaigns if x.key == camp_key)
            options = CAMPAIGN_NOTES.get(camp_key, CAMPAIGN_FALLBACK)
            tmpl = rng.choice([t for t in options if t[1] not in avoid] or options)
        kind, slug, title, channels, paras, can_public, p_problem = tmpl
        # units concerned
        if slug.startswith(("dorm", "heart")) or (kind == "线下活动" and rng.random() < 0.3):
            pool_units = [(d.id, f"{d.name}宿舍") for d in c.unit_dorms]
            k = rng.randint(1, min(3, len(pool_units)))
        elif c.unit_committees and rng.random() < 0.3:
            pool_units = [(x.id, x.name) for x in c.unit_committees]
            k = 1
        else:
            pool_units = [(b.id, b.name) for b in c.unit_branches]
            k = rng.randint(1, min(2, len(pool_units)))
        units = sorted(rng.sample(pool_units, k))
        # participants: current youth of this cadre on that day
        present = [e.person.sid for e in c.entries if e.current(day)]
        lo, hi = PARTICIPANTS[kind]
        n_part = min(len(present), rng.randint(lo, hi))
        youth = sorted(rng.sample(present, n_part))
        n_shown = n_part if n_part else rng.randint(lo + 3, hi + 10)
        channel = rng.choice(channels) if kind == ONLINE else None
        public = can_public and rng.random() < 0.3
        # problems raised
        problems: list[dict[str, str]] = []
        if rng.random() < p_problem:
            for _ in range(1 if rng.random() < 0.8 else 2):
                problems.append(self._problem(c, day))
        # body (public bodies never name youth: only template text and unit names)
        unit_text = "、".join(name for _, name in units)
        for _attempt in range(6):
            body_paras = [p.format(units=unit_text, n=n_shown, name=camp_name) for p in paras]
            if problems:
                body_paras.append(PROBLEM_NOTE)
            if self.sample and rng.random() < 0.35:
                body_paras.append(rng.choice(FOLLOW_UPS))
            body = "\n\n".join(body_paras)
            full_title = title.format(name=camp_name)
            if not public or not self._names_in(full_title + "\n" + body):
                break
            unit_text = "、".join(u for u, _ in units)  # fall back to ids
        else:
            public = False
        return Note(
            day,
            slug,
            full_title,
            kind,
            channel,
            [u for u, _ in units],
            youth,
            public,
            problems,
            body,
        )

    def _names_in(self, text: str) -> bool:
        names = self.youth_names
        return any(text[i : i + size] in names
                   for size in (2, 3) for i in range(len(text) - size + 1))  # fmt: skip

    def _problem(self, c: Cadre, day: dt.date) -> dict[str, str]:
        rng, today = self.rng, self.today
        i = self.problem_count
        self.problem_count += 1
        if i < len(CATEGORIES):  # every category appears in every deployment
            cands = [p for p in PROBLEMS if p[0] == CATEGORIES[i]]
            cat, summary, dept, _ = rng.choice(cands)
        elif rng.random() < 0.45:  # about one unit: raised by this cadre only
            cat, summary, dept = rng.choice(LOCAL_PROBLEMS)
            branch = rng.choice(c.unit_branches)
            school = next(x.school for x in self.committees if x.id == branch.committee)
            values = {"dorm": rng.choice(c.unit_dorms).name if c.unit_dorms else "宿舍楼",
                      "branch": branch.name, "major": branch.short, "school": school}  # fmt: skip
            summary = summary.format(**values)
            dept = dept.format(**values) if dept else None
        else:
            cat, summary, dept, _ = rng.choices(PROBLEMS, [p[3] for p in PROBLEMS])[0]
        age = (today - day).days
        if age > 60:
            status = rng.choices(STATUSES, [2, 7, 11])[0]
        elif age > 15:
            status = rng.choices(STATUSES, [5, 10, 5])[0]
        else:
            status = rng.choices(STATUSES, [12, 8, 0])[0]
        if i < len(STATUSES) and age > 3:
            status = STATUSES[(i + 1) % len(STATUSES)]
        out = {"category": cat, "summary": summary, "status": status}
        if status == "已转交" and dept is None:
            status = out["status"] = "已解决"
        if status in ("已转交", "已解决") and dept is not None:
            out["forwarded_to"] = dept
        if status == "已解决":
            out["resolved_on"] = (day + dt.timedelta(days=rng.randint(0, min(age, 45)))).isoformat()
        return out

    # surveys ------------------------------------------------------------------------------

    def surveys(self) -> dict[int, list[tuple[str, int, int]]]:
        rng = self.rng
        out: dict[int, list[tuple[str, int, int]]] = {}
        for year in (self.today.year - 1, self.today.year):
            if dt.date(year, 6, 20) > self.today:
                continue
            rows = []
            for c in sorted(self.cadres, key=lambda x: x.id):
                if c.since <= dt.date(year, 3, 1):
                    respondents = rng.randint(25, 60)
                    satisfied = min(respondents, round(respondents * rng.uniform(0.74, 0.99)))
                    rows.append((c.id, respondents, satisfied))
            if rows:
                out[year] = rows
        return out


def _split(total: int, parts: int) -> list[int]:
    base, extra = divmod(total, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


# --- writing --------------------------------------------------------------------------------


def _write(path: Path, text: str, made: set[Path]) -> None:
    """UTF-8, LF line ends; ``made`` remembers the folders already created."""
    if path.parent not in made:
        path.parent.mkdir(parents=True, exist_ok=True)
        made.add(path.parent)
    path.write_bytes(text.encode("utf-8"))


def _org_files(w: _World) -> dict[str, str]:
    com = [schema_line("committees.schema.json"),
           "# 分团委列表：id 是英文编号（小写字母、数字、连字符），name 是全称。", "",
           "committees:"]  # fmt: skip
    br = [schema_line("branches.schema.json"),
          "# 团支部列表：committee 填所属分团委的编号，grade 填入学年份。", "",
          "branches:"]  # fmt: skip
    dg = [schema_line("dorm_groups.schema.json"),
          "# 宿舍团小组列表：id 是楼栋-房间的编号，branch（所属团支部）可以不填。", "",
          "dorm_groups:"]  # fmt: skip
    for c in w.committees:
        com += [f"  - id: {c.id}", f"    name: {scalar(c.name)}"]
        for b in c.branches:
            br += [
                f"  - id: {b.id}",
                f"    name: {scalar(b.name)}",
                f"    committee: {c.id}",
                f"    major: {scalar(b.major)}",
                f"    grade: {quoted(str(b.grade))}",
            ]
        for d in c.dorms:
            dg += [f"  - id: {d.id}", f"    name: {scalar(d.name)}", f"    committee: {c.id}"]
            if d.branch:
                dg.append(f"    branch: {d.branch}")
    return {
        "data/org/committees.yml": "\n".join(com) + "\n",
        "data/org/branches.yml": "\n".join(br) + "\n",
        "data/org/dorm_groups.yml": "\n".join(dg) + "\n",
    }


def _cadre_text(c: Cadre) -> str:
    lines = [
        schema_line("cadre.schema.json"),
        f"# 团干部 {c.name} 的信息。除 youth（联系青年名单）外，其余内容会在亮身份页面公开。",
        "",
        f"name: {scalar(c.name)}",
        f"level: {c.level}",
        f"appointment: {c.appointment}",
        f"title: {scalar(c.title)}",
    ]
    if c.committee is not None:
        lines.append(f"committee: {c.committee.id}")
    lines.append(f"since: {c.since.isoformat()}")
    if c.github:
        lines.append(f"github: {c.github}")
    lines.append("contact:                     # 联系方式：填写 consent_on（同意公开的日期）后公开")
    for key, value in c.contact.items():
        if key in ("phone", "qq"):
            text = quoted(value)
        elif key == "consent_on":
            text = value  # a date: YYYY-MM-DD
        else:
            text = scalar(value)
        lines.append(f"  {key}: {text}")
    if c.intro:
        lines += ["intro: |", f"  {c.intro}"]
    if c.photo:
        lines.append(f"photo: {c.photo}")
    lines.append("units:                       # 联系的单位（公开）")
    if c.unit_committees:
        lines.append(f"  committees: {flow([x.id for x in c.unit_committees])}")
    lines.append(f"  branches: {flow([b.id for b in c.unit_branches])}")
    lines.append(f"  dorm_groups: {flow([d.id for d in c.unit_dorms])}")
    lines += [
        "",
        "# 联系青年名单：内部信息，永不公开。学号要加引号；联系结束时填写 until，不要删除。",
        "youth:",
    ]
    for e in c.entries:
        p = e.person
        lines.append(f"  - id: {quoted(p.sid)}")
        if p.name:
            lines.append(f"    name: {p.name}")
        if p.branch:
            lines.append(f"    branch: {p.branch}")
        else:
            lines += [f"    major: {scalar(p.major)}", f"    grade: {quoted(str(p.grade))}"]
        lines += [f"    political_status: {p.political}", f"    family: {scalar(p.family)}"]
        if p.hometown:
            lines.append(f"    hometown: {scalar(p.hometown)}")
        if p.dorm:
            lines.append(f"    dorm_group: {p.dorm}")
        lines.append(f"    since: {e.since.isoformat()}")
        if e.until:
            lines.append(f"    until: {e.until.isoformat()}")
    return "\n".join(lines) + "\n"


def _note_text(n: Note) -> str:
    lines = ["---", f"title: {scalar(n.title)}", f"date: {n.date.isoformat()}", f"kind: {n.kind}"]
    if n.channel:
        lines.append(f"channel: {scalar(n.channel)}")
    lines.append(f"units: {flow(n.units)}")
    if n.youth:
        lines.append(f"youth: {flow([quoted(s) for s in n.youth])}")
    lines.append(f"public: {'true' if n.public else 'false'}")
    if n.problems:
        lines.append("problems:")
        for p in n.problems:
            lines.append(f"  - category: {p['category']}")
            lines += [f"    {k}: {scalar(v)}" for k, v in p.items() if k != "category"]
    lines += ["---", "", n.body]
    return "\n".join(lines) + "\n"


def _survey_text(year: int, rows: list[tuple[str, int, int]]) -> str:
    lines = [schema_line("survey.schema.json"),
             f"# {year} 年满意度调查：团干部编号: {{respondents: 参与人数, satisfied: 满意人数}}",
             ""]  # fmt: skip
    lines += [f"{cid}: {{respondents: {r}, satisfied: {s}}}" for cid, r, s in rows]
    return "\n".join(lines) + "\n"


def _photo(path: Path, index: int, gps: bool) -> None:
    from PIL import Image, ImageDraw

    bg, fg = PALETTE[index % len(PALETTE)]
    img = Image.new("RGB", (400, 400), bg)
    draw = ImageDraw.Draw(img)
    halo = tuple((a + b) // 2 for a, b in zip(bg, fg, strict=True))
    draw.ellipse((40 + 13 * index % 60, 20, 380, 360), fill=halo)
    draw.ellipse((140, 86, 260, 206), fill=fg)  # head
    draw.ellipse((76, 226, 324, 470), fill=fg)  # shoulders
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".png":
        img.save(path, format="PNG", optimize=True)
        return
    exif = Image.Exif()
    if gps:
        exif[0x010F] = "QinglanCam"  # Make
        exif[0x0110] = "Demo 1"  # Model
        exif[0x0132] = "2026:05:04 10:30:00"  # DateTime
        ifd = exif.get_ifd(0x8825)  # GPSInfo
        ifd[1], ifd[2] = "N", (37.0, 31.0, 12.0)
        ifd[3], ifd[4] = "E", (111.0, 8.0, 30.0)
    img.save(path, format="JPEG", quality=85, optimize=True, exif=exif)


def _load_config(out: Path) -> tuple[str | None, SiteConfig]:
    """(text to write or None to keep the existing file, parsed config)."""
    existing = out / "site_config.yml"
    if existing.is_file():
        text, write = existing.read_text(encoding="utf-8-sig"), None
    else:
        repo = Path(__file__).resolve().parent.parent / "site_config.yml"
        text = repo.read_text(encoding="utf-8-sig") if repo.is_file() else EMBEDDED_SITE_CONFIG
        write = text
    config = SiteConfig.model_validate(yaml.load(text, Loader=yaml.BaseLoader))
    return write, config


def generate(
    out: Path,
    cadres: int,
    seed: int = 1,
    today: dt.date = DEFAULT_TODAY,
    sample: bool = False,
) -> None:
    """Write a complete deployment into ``out`` (see the module docstring)."""
    out = Path(out)
    if not sample and cadres < 1:
        raise ValueError("cadres must be at least 1")
    config_text, config = _load_config(out)
    n = 14 if sample else cadres
    world = _World(config, seed, today, sample, n)
    world.build_org(6 if sample else max(6, round(n / 15)))
    world.plan_cadres()
    world.build_forbidden()
    world.assign_youth()
    world.make_notes()
    surveys = world.surveys()

    out.mkdir(parents=True, exist_ok=True)
    made: set[Path] = set()
    for sub in MANAGED_DIRS:
        target = out / "data" / sub
        if target.is_dir():
            shutil.rmtree(target)
    if config_text is not None:
        _write(out / "site_config.yml", config_text, made)
    for rel, text in _org_files(world).items():
        _write(out / rel, text, made)
    first_jpeg = True
    for i, c in enumerate(sorted(world.cadres, key=lambda x: x.id)):
        _write(out / "data" / "cadres" / f"{c.id}.yml", _cadre_text(c), made)
        for note in c.notes:
            _write(
                out / "data" / "notes" / c.id / f"{note.date}-{note.slug}.md",
                _note_text(note),
                made,
            )
        if c.photo:
            gps = first_jpeg and c.photo.endswith(".jpg")
            first_jpeg = first_jpeg and not gps
            _photo(out / "data" / "photos" / c.photo, i, gps)
    for year, rows in surveys.items():
        _write(out / "data" / "surveys" / f"{year}.yml", _survey_text(year, rows), made)
    # The ownership file CI compares with the data (G005), generated like `build.py codeowners`.
    from .codeowners import generate as codeowners_text
    from .pipeline import read_config

    owners = codeowners_text(read_config(out), ((c.id, c.github) for c in world.cadres))
    _write(out / ".github" / "CODEOWNERS", owners, made)
    if not (out / ".gitignore").exists():  # build output and cache never belong in Git
        _write(out / ".gitignore", "/site/\n/.site.*/\n/.zhilian-cache/\n", made)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m zhilian.demo",
        description="生成一套虚构但完整有效的示例部署（确定性：相同参数生成完全相同的文件）。",
    )
    parser.add_argument("--cadres", type=int, help="团干部人数（--sample 时不用）")
    parser.add_argument("--out", type=Path, required=True, help="输出目录（部署的根目录）")
    parser.add_argument("--seed", type=int, default=1, help="随机种子，默认 1")
    parser.add_argument(
        "--today",
        type=dt.date.fromisoformat,
        default=DEFAULT_TODAY,
        help="“今天”的日期 YYYY-MM-DD，默认 2026-11-20",
    )
    parser.add_argument(
        "--sample", action="store_true", help="生成仓库自带的示例数据（14 名团干部、照片）"
    )
    args = parser.parse_args(argv)
    if args.sample and args.cadres is not None:
        parser.error("--sample 固定生成 14 名团干部，不能同时使用 --cadres")
    if not args.sample and (args.cadres is None or args.cadres < 1):
        parser.error("需要 --cadres N（N ≥ 1）或 --sample")
    generate(args.out, args.cadres or 0, seed=args.seed, today=args.today, sample=args.sample)
    return 0


if __name__ == "__main__":
    sys.exit(main())
