"""What the demo's deputies write about: per category, the topics a county's suggestions
take up, the unit that leads on each and the units it usually works with, and the titles
made from them."""

from __future__ import annotations

import random
from dataclasses import dataclass

# The seed report's categories and how many of its 151 suggestions fell in each.
CATEGORIES = {"科教文卫": 40, "工交财贸": 34, "农业农村": 44, "城市建设": 15, "社会建设": 18}

TOWNS = ("柏城街道", "柏亭街道", "柏苑街道", "五沟营镇", "权寨镇", "师灵镇", "出山镇", "盆尧镇", "宋集镇",
         "吕店镇", "二郎镇", "重渠乡", "人和乡", "谭店乡", "杨庄乡", "专探乡", "焦庄乡", "芦庙乡", "蔡寨回族乡")


@dataclass(frozen=True, kw_only=True)
class Topic:
    """One kind of suggestion: `subject` may name a {town} (and a second one, {town2})."""

    category: str
    unit: str
    subject: str
    partners: tuple[str, ...] = ()  # units that typically help (co-units)


def _topics(category: str, unit: str, *subjects: str | tuple[str, tuple[str, ...]]) -> list[Topic]:
    return [Topic(category=category, unit=unit, subject=s) if isinstance(s, str)
            else Topic(category=category, unit=unit, subject=s[0], partners=s[1]) for s in subjects]


TOPICS: tuple[Topic, ...] = tuple(
    _topics("科教文卫", "jyj", "改善{town}中心小学办学条件", ("加强农村教师队伍建设", ("rsj", "czj")),
            ("解决城区学校大班额问题", ("zjj", "zrj")), ("加强校园周边交通安全管理", ("gaj", "jtj")),
            "增加城区公办幼儿园学位供给", "做好中小学生课后服务", ("改造{town}初级中学危旧校舍", ("zjj", "czj")))
    + _topics("科教文卫", "wjw", "提升{town}卫生院医疗服务能力", "加强{town}村卫生室标准化建设",
              ("提高乡村医生待遇", ("czj", "rsj")), "加强县人民医院儿科建设", "推进家庭医生签约服务",
              "加强{town}基层公共卫生服务能力建设")
    + _topics("科教文卫", "wgl", "加强{town}综合文化站建设", ("保护传承嫘祖文化", ("zrj",)), "丰富农村群众文化生活",
              ("推进全域旅游发展", ("jtj", "nyj")), ("在{town}建设全民健身广场", ("zjj", "zrj")))
    + _topics("工交财贸", "jtj", ("修建{town}至{town2}道路", ("czj", "zrj")), "加强{town}农村公路养护",
              "增开{town}城乡公交线路", ("规范城区出租车运营管理", ("gaj",)), ("改造{town}危桥", ("czj",)),
              ("加快国道107线{town}段改造", ("zrj",)))
    + _topics("工交财贸", "czj", "加大对中小微企业的财政扶持", "规范政府采购管理", ("加快惠农补贴资金发放", ("nyj",)))
    + _topics("工交财贸", "scj", ("加强学校食堂食品安全监管", ("jyj",)), ("开展电动自行车质量专项整治", ("gaj",)),
              ("规范城区农贸市场管理", ("cgj",)), "加强{town}集贸市场计量监管")
    + _topics("工交财贸", "gdgs", "优化城区供电营商服务", "加快{town}电动汽车充电桩建设")
    + _topics("农业农村", "nyj", ("加大{town}高标准农田建设力度", ("czj", "slj")), "发展{town}特色种植产业",
              ("加强{town}农村人居环境整治", ("zjj", "cgj")), "扶持农民专业合作社发展", "推进畜禽粪污资源化利用",
              "加强基层农技推广队伍建设", "发展{town}设施农业")
    + _topics("农业农村", "slj", "疏浚{town}排涝沟渠", ("加强小型农田水利设施建设", ("czj", "nyj")),
              "解决{town}农村饮水安全问题", ("加固洪河{town}段堤防", ("zrj",)))
    + _topics("农业农村", "zrj", ("解决{town}农村宅基地审批难问题", ("nyj",)), "加强耕地保护遏制耕地“非农化”")
    + _topics("农业农村", "czj", ("提高村干部待遇、帮助在职农村基层干部购买社保", ("rsj",)))
    + _topics("农业农村", "gdgs", "加快{town}农村电网改造升级", "解决{town}夏季用电高峰低电压问题",
              "保障{town}农业灌溉用电")
    + _topics("城市建设", "zjj", "加强我县住宅小区物业管理", ("加快{town}老旧小区改造", ("czj",)),
              "推进城区棚户区改造项目建设", ("解决{town}安置房办证难问题", ("zrj",)), "加强城区排水管网建设")
    + _topics("城市建设", "cgj", "规范城区占道经营管理", ("增设城区公共停车位", ("gaj", "zrj")), "增建城区公共厕所",
              "改善{town}集镇环境卫生", "加强城区建筑垃圾管理")
    + _topics("城市建设", "zrj", "加快城区控制性详细规划编制", "推进不动产登记“一窗受理”")
    + _topics("城市建设", "gdgs", "推进城区电力线路入地改造")
    + _topics("社会建设", "gaj", ("多部门联合加强电动车治理", ("cgj", "jtj", "scj")), "加强{town}治安巡逻防控",
              ("加强农村道路交通安全管理", ("jtj",)), "加大打击电信网络诈骗力度")
    + _topics("社会建设", "mzj", ("提高农村特困人员供养标准", ("czj",)), "加快{town}敬老院提质改造",
              ("加强农村留守儿童关爱保护", ("jyj",)))
    + _topics("社会建设", "rsj", "加强农村劳动力职业技能培训", ("解决农民工工资拖欠问题", ("zjj",)),
              ("加大返乡创业扶持力度", ("czj",)))
    + _topics("社会建设", "rd-xgw", "加强{town}人大代表联络站建设", "完善代表建议办理督办机制")
)


def topics_for(category: str, government: bool, is_government) -> list[Topic]:
    """The topics of a category whose lead unit is (or is not) a government unit."""
    return [topic for topic in TOPICS if topic.category == category and is_government(topic.unit) == government]


def title(topic: Topic, rng: random.Random) -> str:
    """A suggestion's title, e.g. 关于改善出山镇中心小学办学条件的建议."""
    town, town2 = rng.sample(TOWNS, 2)
    return "关于" + topic.subject.format(town=town, town2=town2) + "的建议"
