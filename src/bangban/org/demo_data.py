"""Literal data of the demo county (秦川县, fictional): place names, departments, people's names.

This is data, not user-interface text: it stays in Chinese and is not translated."""

COUNTY_NAME = "秦川县"
COUNTY_CODE = "QC"
# 611023 is the administrative-division code the demo ID numbers carry; 0914 the area code.
REGION_CODE = "611023"
AREA_CODE = "0914"

COUNTY_CENTRE = {
    "name": "秦川县政务服务中心",
    "address": "秦川县城关街道政务路1号",
    "phone": "0914-6321001",
}

OPENING_HOURS = "周一至周五 8:30-12:00，14:30-18:00"
LUNCH_HOURS = "12:00-14:30 预约服务"
WEEKEND_HOURS = "周六 9:00-12:00 预约服务（5+X）"
VILLAGE_OPENING_HOURS = "周一至周五 9:00-12:00，14:30-17:30"
VILLAGE_WEEKEND_HOURS = "节假日电话预约，上门服务"

# (short key, full name): the short key names the liaison's demo login ("liaison-fg").
DEPARTMENTS = [
    ("fg", "县发展和改革局"),
    ("zr", "县自然资源局"),
    ("zj", "县住房和城乡建设局"),
    ("sj", "县市场监督管理局"),
    ("sw", "国家税务总局秦川县税务局"),
    ("rs", "县人力资源和社会保障局"),
    ("yb", "县医疗保障局"),
    ("mz", "县民政局"),
    ("wj", "县卫生健康局"),
    ("ga", "县公安局"),
    ("jt", "县交通运输局"),
    ("tj", "县退役军人事务局"),
    # Departments the demo catalogue's items name as well.
    ("sp", "县行政审批服务局"),
    ("cl", "县残疾人联合会"),
    ("sf", "县司法局"),
    ("gjj", "秦川县住房公积金管理中心"),
]

# Towns and sub-districts: (name, its street for the address). 街道 first, as county lists do.
TOWNS = [
    ("城关街道", "人民路"),
    ("东关街道", "东大街"),
    ("南塬街道", "南塬路"),
    ("富水镇", "富水街"),
    ("青山镇", "青山路"),
    ("石门镇", "石门街"),
    ("柳林镇", "柳林路"),
    ("龙泉镇", "龙泉街"),
    ("清河镇", "清河路"),
    ("金岭镇", "金岭街"),
    ("马坪镇", "马坪路"),
    ("双河镇", "双河街"),
    ("红岩镇", "红岩路"),
]

# Two-character village names are a first and a second character from these lists.
VILLAGE_FIRST = list(
    "石柳杨王李张刘马高黄白红青金龙凤桃杏梨枣松柏槐桑竹梅花东西南北上下前后大小新中三五双太安永兴和丰富庆福"
    "长平宝银铁莲荷鹿鹤牛羊"
)
VILLAGE_SECOND = list("家庄沟坪河湾岭坡台园峪川塬寨营堡坝桥店铺院湖源泉山林岩洼滩")
# Communities (社区) sound urban: these names first, then made-up pairs when they run out.
_COMMUNITY_STEMS = (
    "新华文化建设光明和平胜利幸福康宁安居阳光永兴人民民主兴隆金桥锦绣华阳滨河花园紫荆"
    "翠苑育才丰收春晓学府朝阳向阳友谊东关西关南关北关东街西街南街北街东门西门南门北门"
    "城南城北城东城西新城中山解放红旗团结前进长青青年文昌书院府前鼓楼钟楼龙首凤凰桃园"
    "梨园杏林河滨湖滨新民民乐康乐福安永安太平丰源金水银河星光明珠春晖祥和瑞丰嘉园怡景"
    "惠民振兴复兴和谐繁荣五一工农车站站前环城双拥德馨北苑南苑东苑西苑"
)
COMMUNITY_NAMES = [_COMMUNITY_STEMS[i : i + 2] for i in range(0, len(_COMMUNITY_STEMS), 2)]
COMMUNITY_FIRST = list("新文建和光胜幸康安阳永人民兴金锦华滨花紫翠育丰明春学朝向友")
COMMUNITY_SECOND = list("华化设平明街关门利福乐宁光兴泰园苑城湖江源景盛")
CHINESE_ORDINALS = "一二三四五六七八九十"

# Common surnames with their approximate share (per mille) of the population.
SURNAMES = [
    ("王", 71),
    ("李", 70),
    ("张", 67),
    ("刘", 54),
    ("陈", 46),
    ("杨", 31),
    ("赵", 23),
    ("黄", 22),
    ("周", 21),
    ("吴", 20),
    ("徐", 17),
    ("孙", 15),
    ("胡", 13),
    ("朱", 13),
    ("高", 13),
    ("林", 12),
    ("何", 12),
    ("郭", 12),
    ("马", 11),
    ("罗", 9),
    ("梁", 8),
    ("宋", 8),
    ("郑", 8),
    ("谢", 7),
    ("韩", 7),
    ("唐", 6),
    ("冯", 6),
    ("于", 6),
    ("董", 5),
    ("肖", 5),
    ("程", 5),
    ("曹", 5),
    ("袁", 5),
    ("邓", 5),
    ("许", 5),
    ("傅", 4),
    ("沈", 4),
    ("曾", 4),
    ("彭", 4),
    ("吕", 4),
    ("苏", 4),
    ("卢", 4),
    ("蒋", 4),
    ("蔡", 4),
    ("贾", 4),
    ("丁", 3),
    ("魏", 3),
    ("薛", 3),
    ("叶", 3),
    ("闫", 3),
    ("余", 3),
    ("潘", 3),
    ("杜", 3),
    ("戴", 3),
    ("夏", 3),
    ("田", 3),
    ("任", 3),
    ("姜", 3),
    ("范", 3),
    ("方", 3),
    ("石", 3),
    ("姚", 3),
    ("雷", 2),
    ("秦", 2),
    ("白", 2),
    ("崔", 2),
    ("康", 2),
    ("孟", 2),
    ("武", 2),
    ("侯", 2),
    ("段", 2),
    ("贺", 2),
    ("党", 1),
    ("寇", 1),
    ("巩", 1),
]

GIVEN_MALE = list(
    "伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宁浩凯健俊帆旭宇峰建国志海龙兵文亮成东新春晓永振家宏瑞博卫荣生忠德庆安江山民金云锋彬"
)
GIVEN_FEMALE = list(
    "芳娜敏静丽艳娟霞燕玲桂英萍红梅琳莉婷雪慧颖倩洁琴云兰秀凤佳欣悦瑶怡蕾晶月丹华薇荣蓉璐"
)

# Trainings and meetings: (kind, title, location, summary); who attends is decided in demo.py.
COUNTY_TRAINING = (
    "training",
    "2026年全县帮办代办业务培训",
    "秦川县政务服务中心三楼会议室",
    "讲解帮办代办工作流程、一次性告知、代办服务委托书和材料交接规范。",
)
COUNTY_MEETING = (
    "meeting",
    "2026年第一季度帮办代办工作推进会",
    "秦川县政务服务中心三楼会议室",
    "通报一季度办件情况，部署乡镇（街道）便民服务中心“八有”建设。",
)
LIAISON_MEETING = (
    "meeting",
    "部门帮代办联络员碰头会",
    "秦川县政务服务中心二楼会商室",
    "梳理重点项目帮办代办事项，明确各部门联络员职责和协调机制。",
)
TOWN_TRAINING = (
    "training",
    "{town}村（社区）代办员业务培训",
    "{town}便民服务中心会议室",
    "学习高频事项办事指南，演练台账登记和材料交接。",
)

PERSONNEL_REASONS = ["工作调动", "退休", "岗位调整", "个人原因辞职"]
