package demo

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"strings"
	"time"
)

// The demo organisation: a three-level team tree and one user per seat.
// Every demo account signs in with Password.
const (
	Password = "demo-pass-2026"
	// Domain of every demo account: the marker that tells demo data apart.
	Domain = "rapport-demo.example.com"
)

type teamSeed struct {
	key, name, parent, manager string
}

var teamSeeds = []teamSeed{
	{"hq", "总部 Headquarters", "", "dana"},
	{"east", "华东销售部 East China Sales", "hq", "max"},
	{"sh", "上海一线 Shanghai Field", "east", "mia"},
	{"sz", "苏州一线 Suzhou Field", "east", "sam"},
	{"ka", "大客户部 Key Accounts", "hq", "eve"},
}

type userSeed struct {
	key, name, role, team string
	limitYuan             int64
}

var userSeeds = []userSeed{
	{"dana", "王丹 Dana Wang", "director", "hq", 100_000},
	{"max", "李明 Max Li", "manager", "east", 10_000},
	{"mia", "张敏 Mia Zhang", "manager", "sh", 2_000},
	{"sam", "吴山 Sam Wu", "manager", "sz", 2_000},
	{"eve", "孙怡 Eve Sun", "manager", "ka", 5_000},
	{"rita", "陈瑞 Rita Chen", "rep", "sh", 0},
	{"rob", "刘波 Rob Liu", "rep", "sh", 0},
	{"rui", "赵蕊 Rui Zhao", "rep", "sh", 0},
	{"sue", "黄素 Sue Huang", "rep", "sz", 0},
	{"song", "周松 Song Zhou", "rep", "sz", 0},
	{"ed", "徐东 Ed Xu", "rep", "ka", 0},
	{"fay", "方菲 Fay Fang", "finance", "hq", 1_000_000},
	{"ada", "艾达 Ada Admin", "admin", "hq", 0},
}

// reps own the customers; key accounts get the big ones.
var reps = []string{"rita", "rob", "rui", "sue", "song", "ed"}

func email(key string) string { return key + "@" + Domain }

var (
	brands = []struct{ cn, en string }{
		{"华腾", "Huateng"}, {"恒达", "Hengda"}, {"金桥", "Jinqiao"}, {"东方", "Dongfang"}, {"瑞丰", "Ruifeng"},
		{"宏图", "Hongtu"}, {"锦程", "Jincheng"}, {"天合", "Tianhe"}, {"永盛", "Yongsheng"}, {"博远", "Boyuan"},
		{"汇通", "Huitong"}, {"中科", "Zhongke"}, {"联创", "Lianchuang"}, {"星辰", "Xingchen"}, {"海纳", "Haina"},
		{"鼎信", "Dingxin"}, {"嘉禾", "Jiahe"}, {"浦江", "Pujiang"}, {"启明", "Qiming"}, {"凯越", "Kaiyue"},
		{"新纪元", "Xinjiyuan"}, {"光华", "Guanghua"}, {"万象", "Wanxiang"}, {"长风", "Changfeng"}, {"九州", "Jiuzhou"},
	}
	industries = []struct{ cn, en, industry string }{
		{"精密机械", "Precision Machinery", "Machinery"}, {"电子", "Electronics", "Electronics"},
		{"物流", "Logistics", "Logistics"}, {"医药", "Pharmaceutical", "Healthcare"}, {"食品", "Foods", "Food & Beverage"},
		{"化工", "Chemicals", "Chemicals"}, {"纺织", "Textiles", "Textiles"}, {"软件", "Software", "IT Services"},
		{"汽车零部件", "Auto Parts", "Automotive"}, {"新能源", "New Energy", "Energy"}, {"建材", "Building Materials", "Construction"},
		{"包装", "Packaging", "Packaging"},
	}
	districts = []struct {
		cn, en   string
		lat, lon float64
	}{
		{"浦东新区", "Pudong", 31.2215, 121.5447}, {"徐汇区", "Xuhui", 31.1885, 121.4365}, {"静安区", "Jing'an", 31.2286, 121.4480},
		{"闵行区", "Minhang", 31.1128, 121.3816}, {"嘉定区", "Jiading", 31.3749, 121.2655}, {"杨浦区", "Yangpu", 31.2595, 121.5260},
		{"松江区", "Songjiang", 31.0322, 121.2277}, {"宝山区", "Baoshan", 31.4053, 121.4891}, {"长宁区", "Changning", 31.2204, 121.4246},
		{"青浦区", "Qingpu", 31.1508, 121.1241},
	}
	roads    = []string{"张江路", "漕河泾路", "南京西路", "虹桥路", "金科路", "淮海中路", "世纪大道", "延安西路", "莘庄工业区春东路", "外高桥基隆路"}
	surnames = []struct{ cn, en string }{
		{"王", "Wang"}, {"李", "Li"}, {"张", "Zhang"}, {"刘", "Liu"}, {"陈", "Chen"}, {"杨", "Yang"}, {"黄", "Huang"},
		{"赵", "Zhao"}, {"周", "Zhou"}, {"吴", "Wu"}, {"徐", "Xu"}, {"孙", "Sun"}, {"马", "Ma"}, {"朱", "Zhu"},
	}
	givenNames = []struct{ cn, en string }{
		{"伟", "Wei"}, {"芳", "Fang"}, {"娜", "Na"}, {"强", "Qiang"}, {"静", "Jing"}, {"磊", "Lei"}, {"洋", "Yang"},
		{"艳", "Yan"}, {"勇", "Yong"}, {"军", "Jun"}, {"杰", "Jie"}, {"娟", "Juan"}, {"涛", "Tao"}, {"超", "Chao"},
	}
	titles = []string{"总经理 General Manager", "采购经理 Purchasing Manager", "财务总监 CFO", "运营总监 COO",
		"技术负责人 Head of Engineering", "行政主管 Office Manager"}
)

// tierBand is a range of annual contract amounts (yuan) and the share of
// customers in it, roughly matching the default tier policies A–D.
var tierBands = []struct {
	share        float64
	minYuan, max int64
	planYuan     [2]int64 // maintenance plan budget range
}{
	{0.10, 1_000_000, 5_000_000, [2]int64{8_000, 16_000}}, // A
	{0.25, 300_000, 999_000, [2]int64{3_000, 6_000}},      // B
	{0.35, 50_000, 299_000, [2]int64{800, 1_800}},         // C
	{0.30, 5_000, 49_000, [2]int64{200, 450}},             // D
}

type customerSeed struct {
	name, code, industry, address string
	lat, lon                      float64
	annualYuan                    int64
	band                          int
	planYuan                      int64
	since                         string
	status                        string
	contacts                      []map[string]any
	visitingNow                   bool
}

func newCustomer(r *rand.Rand, i int, today time.Time) customerSeed {
	brand := brands[r.IntN(len(brands))]
	ind := industries[r.IntN(len(industries))]
	d := districts[r.IntN(len(districts))]
	band := pickBand(r)
	b := tierBands[band]
	c := customerSeed{
		name:       fmt.Sprintf("%s%s有限公司 %s %s Co., Ltd.", brand.cn, ind.cn, brand.en, ind.en),
		code:       fmt.Sprintf("DEMO-%04d", i+1),
		industry:   ind.industry,
		address:    fmt.Sprintf("上海市%s%s%d号 (%s, Shanghai)", d.cn, roads[r.IntN(len(roads))], 1+r.IntN(2000), d.en),
		lat:        round6(d.lat + (r.Float64()-0.5)*0.06),
		lon:        round6(d.lon + (r.Float64()-0.5)*0.06),
		annualYuan: b.minYuan + r.Int64N(b.max-b.minYuan+1)/1000*1000,
		band:       band,
		planYuan:   b.planYuan[0] + r.Int64N(b.planYuan[1]-b.planYuan[0]+1)/10*10,
		since:      today.AddDate(0, 0, -(7 + r.IntN(5*365))).Format(dayLayout),
		status:     weighted(r, []string{"active", "dormant", "lost"}, []float64{0.88, 0.09, 0.03}),
	}
	for range 1 + r.IntN(3) {
		s, g := surnames[r.IntN(len(surnames))], givenNames[r.IntN(len(givenNames))]
		c.contacts = append(c.contacts, map[string]any{
			"name":     s.cn + g.cn + " " + g.en + " " + s.en,
			"title":    titles[r.IntN(len(titles))],
			"phone":    fmt.Sprintf("1%d%09d", 3+r.IntN(7), r.IntN(1_000_000_000)),
			"email":    fmt.Sprintf("%s.%s@%s.example.cn", strings.ToLower(g.en), strings.ToLower(s.en), strings.ToLower(brand.en)),
			"birthday": today.AddDate(-(25 + r.IntN(35)), 0, r.IntN(365)-60).Format(dayLayout),
		})
	}
	return c
}

func pickBand(r *rand.Rand) int {
	x := r.Float64()
	for i, b := range tierBands {
		if x < b.share {
			return i
		}
		x -= b.share
	}
	return len(tierBands) - 1
}

// weighted picks one of values with the given probabilities.
func weighted(r *rand.Rand, values []string, weights []float64) string {
	x := r.Float64()
	for i, w := range weights {
		if x < w {
			return values[i]
		}
		x -= w
	}
	return values[len(values)-1]
}

func round6(f float64) float64 { return float64(int64(f*1e6)) / 1e6 }

var (
	outcomes = []string{"客户满意，续约意向强 Happy, likely to renew", "提出交付时间问题 Raised delivery delays",
		"介绍了新产品线 Introduced the new product line", "讨论明年采购计划 Discussed next year's purchasing",
		"处理投诉，已跟进 Complaint handled, followed up", "节日慰问 Holiday greetings delivered"}
	expenseNotes = map[string][]string{
		"meal":          {"商务午餐 Business lunch", "答谢晚宴 Thank-you dinner", "工作餐 Working lunch"},
		"gift":          {"中秋月饼 Mid-Autumn mooncakes", "春节礼盒 Spring Festival gift box", "生日贺卡与鲜花 Birthday card and flowers"},
		"event":         {"客户答谢会 Customer appreciation event", "新品发布会 Product launch"},
		"travel":        {"客户工厂参观差旅 Factory visit travel"},
		"transport":     {"出租车 Taxi to customer site", "高铁 High-speed rail to Suzhou"},
		"entertainment": {"茶叙 Tea meeting"},
	}
)

// receipt is a small, unique PNG standing in for a scanned receipt (unique,
// so that duplicate-receipt checks never fire on demo data).
func receipt(n int, amountFen int64) []byte {
	img := image.NewGray(image.Rect(0, 0, 48, 64))
	for i := range img.Pix {
		img.Pix[i] = 0xF0
	}
	for bit := range 32 { // the index and amount as a row of dark dots
		if (n>>bit)&1 == 1 {
			img.SetGray(8+bit, 10, color.Gray{Y: 0x20})
		}
		if (amountFen>>bit)&1 == 1 {
			img.SetGray(8+bit, 20, color.Gray{Y: 0x20})
		}
	}
	var buf bytes.Buffer
	_ = png.Encode(&buf, img)
	return buf.Bytes()
}
