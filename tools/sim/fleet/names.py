# names: synthetic Indonesian personal names for the fleet world (seeded, not real people).
# SPDX-License-Identifier: MIT
"""Common Indonesian given names, combined at random into two-part names.

The lists are of frequent first and second names across Betawi, Javanese, Sundanese and Malay
naming; any resemblance of a combination to a real resident is chance. Many Indonesians carry a
single name, so about one name in six is mononymous.
"""

import random

MALE = (
    "Agus Ahmad Andi Arif Bambang Budi Dedi Dimas Eko Fajar Hadi Hendra Irfan Iwan Joko Kurniawan "
    "Muhammad Nur Rahmat Rizky Rudi Slamet Sugeng Supriyadi Taufik Teguh Wahyu Yusuf Zainal Asep "
    "Bayu Dodi Gilang Hasan Ilham Jaka Lukman Mulyadi Rian Samsul Udin Wawan Yanto Bagus Dani"
).split()
FEMALE = (
    "Siti Sri Dewi Ani Nur Rina Wati Yuli Lestari Fitri Indah Ratna Dian Eka Putri Ayu Rahma "
    "Nurul Sari Endang Tuti Yanti Maya Intan Rini Novi Wulan Fatimah Aisyah Kartini Ida Mega "
    "Nining Oktavia Puspita Rosa Suci Tika Umi Vina Winda Yati Zahra Lina Mariam"
).split()
SECOND_MALE = (
    "Setiawan Santoso Hidayat Saputra Pratama Nugroho Wibowo Gunawan Siregar Hasibuan Susanto "
    "Hermawan Firmansyah Ramadhan Kusuma Syahputra Purnomo Hakim Rahman Sembiring Lubis Harahap "
    "Wijaya Maulana Prasetyo Sutrisno Effendi Iskandar Suryadi Fauzi"
).split()
SECOND_FEMALE = (
    "Rahmawati Wulandari Handayani Susanti Lestari Puspitasari Kurniasih Permatasari Maharani "
    "Safitri Anggraini Rahayu Suryani Wahyuni Ningsih Fitriani Utami Hasanah Aprilia Nurhayati "
    "Setiawati Kartika Pertiwi Amelia Yuliana Siregar Lubis Harahap Sembiring Zahara"
).split()


def person_name(rng: random.Random, female: bool) -> str:
    """One synthetic name, e.g. "Siti Rahmawati" or "Slamet"."""
    first = rng.choice(FEMALE if female else MALE)
    if rng.random() < 1 / 6:
        return first
    return first + " " + rng.choice(SECOND_FEMALE if female else SECOND_MALE)
