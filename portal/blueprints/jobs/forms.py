"""Forms of the work-study area. Rules live in the domain; these only parse what was typed and
hand it to the services as their ``…Details``."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, IntegerField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from portal.domain.jobs import CONCERN_CATEGORY_LABELS, PAY_UNIT_LABELS
from portal.services.jobs.enterprises import EnterpriseDetails
from portal.services.jobs.positions import PositionDetails
from portal.services.jobs.students import YEARS_OF_STUDY, StudentDetails

DATE_MESSAGE = _l("请按“年-月-日”填写日期，例如 2026-07-15。")


def _date(label: str, required: bool = True):
    validators = [InputRequired(DATE_MESSAGE)] if required else [Optional()]
    return DateField(label, validators=validators, format="%Y-%m-%d")


class EnterpriseForm(FlaskForm):
    name = StringField(_l("企业名称（与营业执照一致）"),
                       validators=[DataRequired(_l("请填写企业名称。")), Length(max=120)])
    uscc = StringField(_l("统一社会信用代码"),
                       validators=[DataRequired(_l("请填写统一社会信用代码。")), Length(max=30)])
    union_id = SelectField(_l("所在街道（园区）或区总工会"), coerce=int,
                           validators=[InputRequired(_l("请选择所在街道（园区）或区总工会。"))])
    district = StringField(_l("所在区"), validators=[Optional(), Length(max=40)])
    address = StringField(_l("企业地址"), validators=[DataRequired(_l("请填写企业地址。")), Length(max=200)])
    description = TextAreaField(_l("企业简介"), validators=[Optional(), Length(max=2000)])
    contact_name = StringField(_l("联系人姓名"), validators=[DataRequired(_l("请填写联系人姓名。")), Length(max=40)])
    contact_mobile = StringField(_l("联系人手机"), validators=[DataRequired(_l("请填写联系人手机。")), Length(max=20)])
    username = StringField(_l("登录用户名"), validators=[DataRequired(_l("请填写登录用户名。")), Length(max=60)])
    password = PasswordField(_l("登录密码（至少10位）"), validators=[DataRequired(_l("请填写密码。")), Length(max=200)])

    def details(self) -> EnterpriseDetails:
        return EnterpriseDetails(
            name=self.name.data or "", uscc=self.uscc.data or "", district=self.district.data or "",
            address=self.address.data or "", union_id=self.union_id.data, contact_name=self.contact_name.data or "",
            contact_mobile=self.contact_mobile.data or "", description=self.description.data or "")


class ReviewForm(FlaskForm):
    note = StringField(_l("审核意见（不通过时必填）"), validators=[Optional(), Length(max=200)])


class PositionForm(FlaskForm):
    title = StringField(_l("岗位名称"), validators=[DataRequired(_l("请填写岗位名称。")), Length(max=80)])
    description = TextAreaField(_l("岗位内容"), validators=[DataRequired(_l("请填写岗位内容。")), Length(max=4000)])
    district = StringField(_l("所在区"), validators=[Optional(), Length(max=40)])
    address = StringField(_l("工作地点"), validators=[DataRequired(_l("请填写工作地点。")), Length(max=200)])
    majors = StringField(_l("适合专业或技能（用顿号或逗号分隔）"),
                         validators=[DataRequired(_l("请填写适合的专业或技能。")), Length(max=200)])
    places = IntegerField(_l("招募人数"), validators=[InputRequired(_l("请填写招募人数。"))])
    pay = StringField(_l("报酬（元）"), validators=[DataRequired(_l("请填写报酬。")), Length(max=20)])
    pay_unit = SelectField(_l("报酬单位"), choices=[(unit.value, _l(label)) for unit, label in PAY_UNIT_LABELS.items()])
    starts_on = _date(_l("开始日期"))
    ends_on = _date(_l("结束日期"))
    apply_by = _date(_l("报名截止日期"))
    hours = StringField(_l("工作时间"), validators=[DataRequired(_l("请填写工作时间。")), Length(max=80)])
    min_age = IntegerField(_l("最低年龄（周岁）"), default=16, validators=[InputRequired(_l("请填写最低年龄。"))])
    safety_notes = TextAreaField(_l("安全须知"), validators=[DataRequired(_l("请填写安全须知。")), Length(max=4000)])
    agreement_confirmed = BooleanField(_l("我单位承诺与录用学生签订实践协议，并为其购买意外伤害保险"))

    def details(self) -> PositionDetails:
        return PositionDetails(
            title=self.title.data or "", description=self.description.data or "", district=self.district.data or "",
            address=self.address.data or "", majors=self.majors.data or "", places=self.places.data,
            pay_yuan=self.pay.data or "", pay_unit=self.pay_unit.data, starts_on=self.starts_on.data,
            ends_on=self.ends_on.data, apply_by=self.apply_by.data, hours=self.hours.data or "",
            min_age=self.min_age.data, safety_notes=self.safety_notes.data or "",
            agreement_confirmed=bool(self.agreement_confirmed.data))


class StudentForm(FlaskForm):
    name = StringField(_l("学生姓名"), validators=[DataRequired(_l("请填写学生姓名。")), Length(max=60)])
    id_number = StringField(_l("学生身份证号码"),
                            validators=[DataRequired(_l("请填写学生身份证号码。")), Length(max=40)])
    mobile = StringField(_l("学生手机号码"), validators=[DataRequired(_l("请填写学生手机号码。")), Length(max=20)])
    school = StringField(_l("就读学校"), validators=[DataRequired(_l("请填写就读学校。")), Length(max=80)])
    major = StringField(_l("所学专业"), validators=[DataRequired(_l("请填写所学专业。")), Length(max=80)])
    year_of_study = SelectField(_l("年级"), choices=[(year, year) for year in YEARS_OF_STUDY])

    def details(self) -> StudentDetails:
        return StudentDetails(
            name=self.name.data or "", id_number=self.id_number.data or "", mobile=self.mobile.data or "",
            school=self.school.data or "", major=self.major.data or "", year_of_study=self.year_of_study.data or "")


class StudentApplicationForm(StudentForm):
    """A student applying alone: their own details plus their parent's member identity."""

    parent_id_number = StringField(_l("父亲或母亲（工会会员）的身份证号码"),
                                   validators=[DataRequired(_l("请填写家长的身份证号码。")), Length(max=40)])
    parent_mobile = StringField(_l("家长在工会登记的手机号码"),
                                validators=[DataRequired(_l("请填写家长的手机号码。")), Length(max=20)])
    motivation = TextAreaField(_l("想对企业说的话（选填）"), validators=[Optional(), Length(max=1000)])


class CodeForm(FlaskForm):
    code = StringField(_l("家长收到的6位确认码"), validators=[DataRequired(_l("请填写确认码。")), Length(max=10)])
    student_code = StringField(_l("学生本人手机收到的6位确认码"),
                               validators=[DataRequired(_l("请填写学生本人收到的确认码。")), Length(max=10)])


class StudentCodeForm(FlaskForm):
    code = StringField(_l("学生手机收到的6位确认码"), validators=[DataRequired(_l("请填写确认码。")), Length(max=10)])


class ApplyForm(FlaskForm):
    student_id = SelectField(_l("为哪位子女报名"), coerce=int, validators=[InputRequired(_l("请选择子女。"))])
    motivation = TextAreaField(_l("想对企业说的话（选填）"), validators=[Optional(), Length(max=1000)])


class DecisionForm(FlaskForm):
    decision = SelectField(_l("答复"), choices=[("accept", _l("录用")), ("decline", _l("不录用"))])
    note = StringField(_l("说明（不录用时必填）"), validators=[Optional(), Length(max=300)])


class AgreementForm(FlaskForm):
    agreement_signed_on = _date(_l("协议签订日期"))
    insurer = StringField(_l("意外伤害保险承保公司"), validators=[DataRequired(_l("请填写保险公司。")), Length(max=80)])
    policy_no = StringField(_l("保单号"), validators=[DataRequired(_l("请填写保单号。")), Length(max=60)])
    starts_on = _date(_l("实际上岗日期"))


class AttendanceForm(FlaskForm):
    week = _date(_l("周次（填该周任意一天）"))
    days_present = IntegerField(_l("出勤天数"), validators=[InputRequired(_l("请填写出勤天数。")),
                                                    NumberRange(0, 7, _l("出勤天数应在0到7之间。"))])
    hours_worked = IntegerField(_l("本周工作时长（小时，选填）"), validators=[Optional()])
    note = StringField(_l("备注"), validators=[Optional(), Length(max=300)])


class FinishForm(FlaskForm):
    ends_on = _date(_l("实际结束日期"))
    days_worked = IntegerField(_l("实践天数"), validators=[InputRequired(_l("请填写实践天数。"))])
    pay_received = StringField(_l("实发报酬合计（元）"),
                               validators=[DataRequired(_l("请填写实发报酬。")), Length(max=20)])


class ConcernForm(FlaskForm):
    category = SelectField(_l("问题类型"),
                           choices=[(c.value, _l(label)) for c, label in CONCERN_CATEGORY_LABELS.items()])
    description = TextAreaField(_l("具体情况"), validators=[DataRequired(_l("请说明遇到的问题。")), Length(max=4000)])


class AnswerForm(FlaskForm):
    answer = TextAreaField(_l("答复"), validators=[DataRequired(_l("请填写答复。")), Length(max=4000)])


class CloseForm(FlaskForm):
    reason = StringField(_l("撤下原因"), validators=[Optional(), Length(max=200)])
