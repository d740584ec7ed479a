"""Seeding the demo program through the same services the API uses: assign, upload, submit, approve.

Deterministic (one seeded random generator), so every machine gets the same numbers.
"""
from __future__ import annotations

import hashlib
import io
import random
import struct
import uuid
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Dealer, Region, User, Wave
from ..services import assignments, attachments, review
from ..services import shopper as shopper_flow
from ..services.checklists import checklist_of, get_version
from ..services.flags import FlagLimits
from ..services.users import create_user
from .answers import draw_answers

DEMO_PASSWORD = "demo password 2026"
SHANGHAI = timezone(timedelta(hours=8))

# (code, zh, en, [(city zh, city en, latitude, longitude), ...])
REGIONS = [
    ("EAST", "华东区", "East China", [
        ("上海浦东", "Shanghai Pudong", 31.2215, 121.5440), ("上海闵行", "Shanghai Minhang", 31.1129, 121.3815),
        ("杭州西湖", "Hangzhou Xihu", 30.2595, 120.1300), ("南京江宁", "Nanjing Jiangning", 31.9535, 118.8399),
        ("苏州工业园", "Suzhou Industrial Park", 31.3236, 120.7210), ("宁波鄞州", "Ningbo Yinzhou", 29.8170, 121.5470),
        ("无锡滨湖", "Wuxi Binhu", 31.5509, 120.2681), ("合肥蜀山", "Hefei Shushan", 31.8512, 117.2604),
        ("温州鹿城", "Wenzhou Lucheng", 28.0150, 120.6551)]),
    ("SOUTH", "华南区", "South China", [
        ("广州天河", "Guangzhou Tianhe", 23.1248, 113.3612), ("广州番禺", "Guangzhou Panyu", 22.9380, 113.3840),
        ("深圳南山", "Shenzhen Nanshan", 22.5329, 113.9305), ("深圳龙岗", "Shenzhen Longgang", 22.7209, 114.2468),
        ("佛山顺德", "Foshan Shunde", 22.8058, 113.2936), ("东莞南城", "Dongguan Nancheng", 23.0205, 113.7520),
        ("厦门思明", "Xiamen Siming", 24.4456, 118.0820), ("福州鼓楼", "Fuzhou Gulou", 26.0823, 119.2960),
        ("南宁青秀", "Nanning Qingxiu", 22.7857, 108.4946)]),
    ("NORTH", "华北区", "North China", [
        ("北京朝阳", "Beijing Chaoyang", 39.9215, 116.4435), ("北京海淀", "Beijing Haidian", 39.9593, 116.2981),
        ("天津河西", "Tianjin Hexi", 39.1094, 117.2230), ("石家庄裕华", "Shijiazhuang Yuhua", 38.0059, 114.5311),
        ("济南历下", "Jinan Lixia", 36.6664, 117.0767), ("青岛市南", "Qingdao Shinan", 36.0671, 120.4120),
        ("太原小店", "Taiyuan Xiaodian", 37.7361, 112.5653), ("沈阳浑南", "Shenyang Hunnan", 41.7148, 123.4496),
        ("大连甘井子", "Dalian Ganjingzi", 38.9520, 121.5254)]),
    ("WEST", "西部区", "West China", [
        ("成都高新", "Chengdu Hi-tech Zone", 30.5728, 104.0668), ("成都武侯", "Chengdu Wuhou", 30.6420, 104.0430),
        ("重庆渝北", "Chongqing Yubei", 29.7180, 106.6310), ("重庆九龙坡", "Chongqing Jiulongpo", 29.5020, 106.5110),
        ("西安雁塔", "Xi'an Yanta", 34.2137, 108.9480), ("昆明五华", "Kunming Wuhua", 25.0430, 102.7070),
        ("贵阳观山湖", "Guiyang Guanshanhu", 26.6010, 106.6260), ("兰州城关", "Lanzhou Chengguan", 36.0570, 103.8310),
        ("乌鲁木齐", "Urumqi", 43.8256, 87.6168)]),
]
WAVES = [("2026-Q2", "2026年第二季度", "2026 Q2", date(2026, 4, 1), date(2026, 6, 30)),
         ("2026-Q3", "2026年第三季度", "2026 Q3", date(2026, 7, 1), date(2026, 9, 30))]
# The programs each wave runs, with the checklist version each uses: the earlier wave is on the published
# version 1, the latest on version 2 (reports compare versions item by item).
PROGRAMS = {"2026-Q2": {"sales_visit": 1, "phone_enquiry": 1},
            "2026-Q3": {"sales_visit": 2, "phone_enquiry": 2}}
SHOPPERS = ["周敏", "吴强", "郑丽", "孙浩", "马超", "朱婷", "胡军", "郭静", "何磊", "高洁", "林峰", "罗娟"]


@dataclass(frozen=True)
class DemoSummary:
    regions: int
    dealers: int
    waves: list[str]
    audits: int
    logins: dict[str, str]


def demo_seeded(session: Session) -> bool:
    return session.scalar(select(Wave.id).where(Wave.code == WAVES[-1][0])) is not None


def seed_demo(session: Session, config: Mapping[str, Any], seed: int = 2026, *, regions: int = len(REGIONS),
              dealers_per_region: int = 9) -> DemoSummary:
    """Regions, dealers, people, two waves of showroom and phone audits (the checklist versions of
    `PROGRAMS`), all submitted and approved. Flushes; the caller commits.

    `regions` and `dealers_per_region` make a smaller program (tests)."""
    rng = random.Random(seed)
    checklists = {(key, version): checklist_of(get_version(session, key, version))
                  for programs in PROGRAMS.values() for key, version in programs.items()}
    admin = create_user(session, email="admin@demo.auditapp.cn", password=DEMO_PASSWORD, role="admin",
                        display_name="Demo admin")
    qa = create_user(session, email="qa@demo.auditapp.cn", password=DEMO_PASSWORD, role="qa",
                     display_name="质检 QA")
    shoppers = [create_user(session, email=f"shopper{i + 1:02d}@demo.auditapp.cn", password=DEMO_PASSWORD,
                            role="shopper", display_name=name) for i, name in enumerate(SHOPPERS)]
    waves = [Wave(code=code, title_zh=zh, title_en=en, starts_on=start, ends_on=end)
             for code, zh, en, start, end in WAVES]
    session.add_all(waves)
    dealers: list[tuple[Dealer, float]] = []
    for code, zh, en, cities in REGIONS[:regions]:
        region = Region(code=code, name_zh=zh, name_en=en)
        session.add(region)
        session.flush()
        create_user(session, email=f"manager.{code.lower()}@demo.auditapp.cn", password=DEMO_PASSWORD,
                    role="manager", display_name=f"{zh}经理", region_ids=[region.id])
        for number in range(1, dealers_per_region + 1):
            # Bigger programs (benchmarks) reuse the cities: a second showroom in the same city.
            city_zh, city_en, lat, lon = cities[(number - 1) % len(cities)]
            branch = (number - 1) // len(cities)
            suffix_zh, suffix_en = (f"{branch + 1}店", f" {branch + 1}") if branch else ("", "")
            dealer = Dealer(region_id=region.id, code=f"{code[:2]}{number:02d}",
                            name_zh=f"{city_zh}星途4S店{suffix_zh}", name_en=f"Xingtu Motors {city_en}{suffix_en}",
                            address=f"{city_zh}汽车城", latitude=lat + branch * 0.01, longitude=lon,
                            timezone="Asia/Shanghai")
            session.add(dealer)
            dealers.append((dealer, rng.uniform(0.55, 0.97)))
    session.flush()
    for dealer, _ in dealers[:3]:
        create_user(session, email=f"gm.{dealer.code.lower()}@demo.auditapp.cn", password=DEMO_PASSWORD,
                    role="dealer", display_name=f"{dealer.name_zh}总经理", dealer_id=dealer.id)

    store = attachments.FileStore(config["ATTACHMENT_DIR"])
    limits = FlagLimits.from_config(config)
    view = shopper_flow.View(body=lambda audit, _answers: {"id": str(audit.id), "status": audit.status},
                             etag=lambda audit: f'"{audit.id.hex}-{audit.revision}"')
    count = 0
    for w, wave in enumerate(waves):
        # Shoppers 1-6 work the first wave, 7-12 the second: nobody sees the same showroom twice in 60 days.
        crew = shoppers[w * 6:(w + 1) * 6]
        programs = PROGRAMS[wave.code]
        showroom = checklists[("sales_visit", programs["sales_visit"])]
        phone = checklists[("phone_enquiry", programs["phone_enquiry"])]
        for dealer, quality in dealers:
            quality = min(0.99, max(0.4, quality + rng.uniform(-0.08, 0.08) * w))
            visits = rng.choice([1, 2, 3, 3, 3, 4]) if rng.random() < 0.9 else 1
            visitors = rng.sample(crew, visits)
            for visitor in visitors:
                _audit(session, rng, showroom, qa, visitor, dealer, wave, quality, store, limits, view, config)
                count += 1
            # Most dealers also get a phone and online enquiry, by a shopper who has not been in the showroom.
            callers = [s for s in crew if s not in visitors]
            for caller in rng.sample(callers, rng.choice([0, 1, 1, 2])):
                _audit(session, rng, phone, qa, caller, dealer, wave, quality, store, limits, view, config)
                count += 1
    session.flush()
    logins = {"admin": admin.email, "qa": qa.email, "manager (East China)": "manager.east@demo.auditapp.cn",
              f"dealer ({dealers[0][0].code})": f"gm.{dealers[0][0].code.lower()}@demo.auditapp.cn",
              "shopper": shoppers[0].email}
    return DemoSummary(regions=regions, dealers=len(dealers), waves=[w.code for w in waves], audits=count,
                       logins=logins)


def _audit(session: Session, rng: random.Random, checklist, qa: User, visitor: User, dealer: Dealer, wave: Wave,
           quality: float, store: attachments.FileStore, limits: FlagLimits, view, config) -> None:
    day = wave.starts_on + timedelta(days=rng.randint(5, (wave.ends_on - wave.starts_on).days - 10))
    audit = assignments.assign(session, qa, dealer_id=dealer.id, wave_id=wave.id,
                               checklist={"key": checklist.key, "version": checklist.version},
                               shopper_id=visitor.id, visit_window_start=day - timedelta(days=3),
                               visit_window_end=day + timedelta(days=3),
                               rotation_days=config["ROTATION_DAYS"])
    answers = draw_answers(checklist, quality, rng, purchase=rng.random() < 0.25)
    for answer in answers.values():
        if answer.get("attachments"):
            photo = _png(f"{audit.id}-{len(answer)}-{rng.random()}")
            sha = hashlib.sha256(photo).hexdigest()
            attachments.upload(session, visitor, audit.id, stream=io.BytesIO(photo), sha256=sha,
                               filename="evidence.png", store=store, max_bytes=config["MAX_ATTACHMENT_BYTES"])
            answer["attachments"] = [sha]
    start = datetime.combine(day, time(rng.randint(9, 16), rng.choice([0, 15, 30, 45])), SHANGHAI)
    if checklist.channel == "visit":
        minutes = rng.choice([32, 38, 41, 45, 50, 55]) if rng.random() > 0.04 else 14  # a rare rushed visit
        jitter = 0.0002 if rng.random() > 0.04 else 0.02  # ~20 m, or a check-in 2 km away
    else:
        # A call and an online enquiry made from wherever the shopper is: the position the phone app
        # sends is somewhere in the dealer's city, not at the showroom.
        minutes = rng.choice([6, 9, 12, 15])
        jitter = 0.03
    end = start + timedelta(minutes=minutes)
    received = end + timedelta(hours=rng.choice([1, 2, 3, 5, 8]) if rng.random() > 0.05 else 30)
    # Every demo dealer is created with its showroom's position.
    assert dealer.latitude is not None and dealer.longitude is not None
    visit = {"started_at": start, "ended_at": end, "device_time": received,
             "checkin": {"latitude": dealer.latitude + rng.uniform(-jitter, jitter),
                         "longitude": dealer.longitude + rng.uniform(-jitter, jitter), "accuracy_m": 10.0}}
    request = shopper_flow.ShopperRequest(user=visitor, received_at=received.astimezone(UTC),
                                          limits=limits, view=view)
    shopper_flow.submit(session, request, audit.id, answers, visit, str(uuid.UUID(int=rng.getrandbits(128))))
    review.approve(session, qa, audit)


def _png(tag: str) -> bytes:
    """A 1×1 PNG made unique by its tag: each audit's evidence is its own photo."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
            + chunk(b"tEXt", b"Comment\x00" + tag.encode()) + chunk(b"IDAT", zlib.compress(b"\x00\x80"))
            + chunk(b"IEND", b""))
